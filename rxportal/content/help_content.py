"""The help center's text, in English and Spanish (formal "usted", US Spanish). It describes how
this portal works (rxportal/accounts/flows/, services/lockout.py, the clients' access requests);
change it when a flow changes. Phone numbers and hours are never written here: the pages render
rxportal.core.contact, and the answers say "the number on the contact page"."""

from __future__ import annotations

from dataclasses import dataclass

HOME = {
    "en": {
        "title": "Help center",
        "intro": "Answers for members, plan sponsors and advisors: registering, signing in, "
        "your SiteKey and security questions, access requests, and how to reach us.",
    },
    "es": {
        "title": "Centro de ayuda",
        "intro": "Respuestas para miembros, patrocinadores de planes y asesores: cómo "
        "registrarse, iniciar sesión, su SiteKey y sus preguntas de seguridad, las solicitudes "
        "de acceso y cómo comunicarse con nosotros.",
    },
}

CONTACT = {
    "en": {
        "title": "Contact us",
        "intro": "Call the line for who you are. Have your member ID card ready if you are a "
        "member; we never ask for your password.",
    },
    "es": {
        "title": "Comuníquese con nosotros",
        "intro": "Llame a la línea que le corresponde. Si es miembro, tenga a mano su tarjeta "
        "de identificación; nunca le pediremos su contraseña.",
    },
}


@dataclass(frozen=True)
class FaqSpec:
    slug: str
    topic: str
    audience: str
    order: int
    en: tuple[str, str]  # question, answer (rich text)
    es: tuple[str, str]


FAQS: tuple[FaqSpec, ...] = (
    FaqSpec(
        "how-do-i-register",
        "registration",
        "everyone",
        1,
        (
            "How do I create an account?",
            "<p>Choose <b>Register for an account</b> on the sign-in page, then say which "
            "describes you:</p><ul><li><b>Members</b> (and adult family members on a plan) "
            "register with the details on their member ID card. Everyone 18 or older registers "
            "for themselves.</li><li><b>Clients and advisors</b> (employers, plan sponsors, "
            "brokers and consultants) register with their work email.</li></ul><p>We email a "
            "code to confirm your address. Then you choose a username, a password, a SiteKey "
            "and your security questions.</p>",
        ),
        (
            "¿Cómo creo una cuenta?",
            "<p>Elija <b>Regístrese para crear una cuenta</b> en la página de inicio de sesión y luego indique qué "
            "lo describe:</p><ul><li><b>Miembros</b> (y familiares adultos en un plan): se "
            "registran con los datos de su tarjeta de identificación de miembro. Toda persona de "
            "18 años o más se registra por sí misma.</li><li><b>Clientes y asesores</b> "
            "(empleadores, patrocinadores de planes, corredores y consultores): se registran con "
            "su correo electrónico del trabajo.</li></ul><p>Le enviamos un código por correo "
            "electrónico para confirmar su dirección. Después elige un nombre de usuario, una "
            "contraseña, una SiteKey y sus preguntas de seguridad.</p>",
        ),
    ),
    FaqSpec(
        "what-can-clients-see-after-registering",
        "registration",
        "clients",
        2,
        (
            "As a client or advisor, what can I see right after I register?",
            "<p>The general content right away: the content hub's news, communication tools, "
            "webinars, publications and drug-trend strategies. Anything linked to a plan "
            "sponsor, and anything that may show member health information, waits until our "
            "account team has verified who you are and which clients you work with.</p>",
        ),
        (
            "Como cliente o asesor, ¿qué puedo ver apenas me registro?",
            "<p>El contenido general de inmediato: las noticias, herramientas de comunicación, "
            "seminarios web, publicaciones y estrategias sobre el costo de los medicamentos del "
            "centro de contenido. Todo lo vinculado a un patrocinador de plan, y todo lo que "
            "pueda mostrar información de salud de los miembros, espera a que nuestro equipo de "
            "cuentas verifique quién es usted y con qué clientes trabaja.</p>",
        ),
    ),
    FaqSpec(
        "why-do-access-requests-take-10-days",
        "access",
        "clients",
        1,
        (
            "Why can an access request take up to 10 days?",
            "<p>Secure tools (drug-trend reports, eligibility lookup, claims reports) can show "
            "members' health information, which the law requires us to protect. Before we "
            "grant one, our account team checks your request with the client, for example by "
            "calling the client's designated contact. We decide within 10 calendar days of "
            "your request, and we email you the decision.</p><p>Your request page shows its "
            "stage (submitted, verifying, approved, denied or expired) and the date a decision "
            "is due. Access lasts one year; then we ask you to confirm it again.</p>",
        ),
        (
            "¿Por qué una solicitud de acceso puede tardar hasta 10 días?",
            "<p>Las herramientas seguras (informes de tendencia de medicamentos, consulta de "
            "elegibilidad, informes de reclamos) pueden mostrar información de salud de los "
            "miembros, que la ley nos exige proteger. Antes de otorgar el acceso, nuestro equipo "
            "de cuentas verifica su solicitud con el cliente, por ejemplo llamando al contacto "
            "designado del cliente. Decidimos dentro de los 10 días calendario siguientes a su "
            "solicitud y le enviamos la decisión por correo electrónico.</p><p>La página de su "
            "solicitud muestra la etapa (enviada, en verificación, aprobada, denegada o vencida) "
            "y la fecha límite de la decisión. El acceso dura un año; después le pediremos que "
            "lo confirme de nuevo.</p>",
        ),
    ),
    FaqSpec(
        "forgot-username",
        "sign_in",
        "everyone",
        1,
        (
            "I forgot my username. What do I do?",
            "<p>Choose <b>Forgot your username?</b> on the sign-in page and enter the email "
            "address on your account. We email your username to that address; we never show it "
            "on the page. If you no longer have that email address, call us (see the contact "
            "page).</p>",
        ),
        (
            "Olvidé mi nombre de usuario. ¿Qué hago?",
            "<p>Elija <b>¿Olvidó su nombre de usuario?</b> en la página de inicio de sesión e "
            "ingrese el correo electrónico de su cuenta. Le enviamos su nombre de usuario a esa "
            "dirección; nunca lo mostramos en la página. Si ya no tiene ese correo electrónico, "
            "llámenos (vea la página de contacto).</p>",
        ),
    ),
    FaqSpec(
        "forgot-password",
        "sign_in",
        "everyone",
        2,
        (
            "I forgot my password. How do I reset it?",
            "<p>Choose <b>Forgot your password?</b> and enter your username or the email "
            "address on your account. We send a code to that email address (and to your mobile "
            "phone, if you confirmed one). Enter the code, answer one of your security "
            "questions, and choose a new password.</p><p>A reset works even while your account "
            "is locked out.</p>",
        ),
        (
            "Olvidé mi contraseña. ¿Cómo la restablezco?",
            "<p>Elija <b>¿Olvidó su contraseña?</b> e ingrese su nombre de usuario o el correo "
            "electrónico de su cuenta. Le enviamos un código a ese correo (y a su teléfono "
            "celular, si lo confirmó). Ingrese el código, responda una de sus preguntas de "
            "seguridad y elija una contraseña nueva.</p><p>Puede restablecerla aunque su cuenta "
            "esté bloqueada.</p>",
        ),
    ),
    FaqSpec(
        "locked-out",
        "lockout",
        "everyone",
        1,
        (
            "I'm locked out. How long does it last?",
            "<p>After five wrong tries we pause sign-in for that username for 1 minute, then 2, "
            "4, 8 and at most 15 minutes for each further wrong try. Every lock ends by itself; "
            "only after a very long run of wrong tries can a pause last up to a day. We email "
            "the account's owner when a lock starts.</p><p>You do not have to wait: reset your "
            "password by email at any time, or call us and we can unlock your account.</p>",
        ),
        (
            "Mi cuenta está bloqueada. ¿Cuánto dura el bloqueo?",
            "<p>Después de cinco intentos fallidos, pausamos el inicio de sesión de ese usuario "
            "por 1 minuto, luego 2, 4, 8 y como máximo 15 minutos por cada intento fallido "
            "adicional. Todo bloqueo termina por sí solo; solo tras una serie muy larga de "
            "intentos fallidos una pausa puede durar hasta un día. Avisamos por correo "
            "electrónico al titular de la cuenta cuando comienza un bloqueo.</p><p>No tiene que "
            "esperar: restablezca su contraseña por correo electrónico en cualquier momento, o "
            "llámenos y podemos desbloquear su cuenta.</p>",
        ),
    ),
    FaqSpec(
        "what-is-a-sitekey",
        "security",
        "everyone",
        1,
        (
            "What is my SiteKey, and why do you ask a question first?",
            "<p>Your SiteKey is the picture and phrase you chose. We show it above the password "
            "field so you know you are on the real site: enter your password only if you "
            "recognize them.</p><p>On a browser we don't recognize, we first ask one of your "
            "security questions, and only show your SiteKey after a right answer. On a browser "
            "you have used before, we go straight to your SiteKey and password.</p>",
        ),
        (
            "¿Qué es mi SiteKey y por qué me hacen una pregunta primero?",
            "<p>Su SiteKey es la imagen y la frase que usted eligió. La mostramos encima del "
            "campo de contraseña para que sepa que está en el sitio verdadero: ingrese su "
            "contraseña solo si las reconoce.</p><p>En un navegador que no reconocemos, primero "
            "le hacemos una de sus preguntas de seguridad y solo mostramos su SiteKey después de "
            "una respuesta correcta. En un navegador que ya usó, pasamos directamente a su "
            "SiteKey y su contraseña.</p>",
        ),
    ),
    FaqSpec(
        "cannot-answer-security-question",
        "security",
        "everyone",
        2,
        (
            "I can't answer my security question. Can I still sign in?",
            "<p>Yes. Choose <b>Can't answer?</b> to sign in without seeing your SiteKey. After "
            "your password we send a one-time code to your email or phone to confirm it's you. "
            "You can change your questions and your SiteKey any time in <b>My account</b>.</p>",
        ),
        (
            "No puedo responder mi pregunta de seguridad. ¿Puedo iniciar sesión igual?",
            "<p>Sí. Elija <b>¿No puede responder?</b> para iniciar sesión sin ver su SiteKey. "
            "Después de su contraseña le enviamos un código de un solo uso a su correo "
            "electrónico o teléfono para confirmar que es usted. Puede cambiar sus preguntas y "
            "su SiteKey en cualquier momento en <b>Mi cuenta</b>.</p>",
        ),
    ),
    FaqSpec(
        "browsers-and-cookies",
        "browsers",
        "everyone",
        1,
        (
            "Which browsers work, and do I need cookies?",
            "<p>Use a current version of any major browser on a computer, tablet or phone. "
            "Every page works without JavaScript.</p><p>Cookies must be allowed for this site: "
            "they keep you signed in and let us recognize a browser you have used before. If "
            "you clear your cookies or use a private window, we ask a security question again. "
            "For your safety we sign you out after a period without activity.</p>",
        ),
        (
            "¿Qué navegadores funcionan? ¿Necesito cookies?",
            "<p>Use una versión actual de cualquier navegador principal en una computadora, "
            "tableta o teléfono. Todas las páginas funcionan sin JavaScript.</p><p>Debe "
            "permitir las cookies de este sitio: mantienen su sesión iniciada y nos permiten "
            "reconocer un navegador que ya usó. Si borra las cookies o usa una ventana privada, "
            "le volveremos a hacer una pregunta de seguridad. Por su seguridad, cerramos su "
            "sesión después de un tiempo sin actividad.</p>",
        ),
    ),
    FaqSpec(
        "mobile-app",
        "mobile",
        "members",
        1,
        (
            "Can I use the mobile app?",
            "<p>The mobile app uses the same username and password as this website; there is "
            "no separate account to create. This website also works on a phone's browser.</p>",
        ),
        (
            "¿Puedo usar la aplicación móvil?",
            "<p>La aplicación móvil usa el mismo nombre de usuario y la misma contraseña que "
            "este sitio web; no hay que crear otra cuenta. Este sitio web también funciona en el "
            "navegador de un teléfono.</p>",
        ),
    ),
)


@dataclass(frozen=True)
class TutorialSpec:
    slug: str
    audience: str
    order: int
    en: tuple[str, str, tuple[tuple[str, str], ...]]  # title, summary, steps (heading, text)
    es: tuple[str, str, tuple[tuple[str, str], ...]]


TUTORIALS: tuple[TutorialSpec, ...] = (
    TutorialSpec(
        "sign-in-on-a-new-browser",
        "everyone",
        1,
        (
            "Sign in on a new browser",
            "What to expect the first time you sign in on a new computer or phone.",
            (
                ("Enter your username", "<p>Choose <b>Sign in</b> and type your username.</p>"),
                ("Answer your security question", "<p>We ask one of the questions you chose.</p>"),
                (
                    "Check your SiteKey, then enter your password",
                    "<p>Enter your password only if you recognize your picture and phrase.</p>",
                ),
                (
                    "Finish with your second step",
                    "<p>If you set up a second step, enter its code. We remember this browser "
                    "afterwards.</p>",
                ),
            ),
        ),
        (
            "Iniciar sesión en un navegador nuevo",
            "Qué esperar la primera vez que inicia sesión en una computadora o teléfono nuevo.",
            (
                (
                    "Ingrese su nombre de usuario",
                    "<p>Elija <b>Iniciar sesión</b> y escriba su nombre de usuario.</p>",
                ),
                (
                    "Responda su pregunta de seguridad",
                    "<p>Le hacemos una de las preguntas que usted eligió.</p>",
                ),
                (
                    "Revise su SiteKey y luego ingrese su contraseña",
                    "<p>Ingrese su contraseña solo si reconoce su imagen y su frase.</p>",
                ),
                (
                    "Termine con su segundo paso",
                    "<p>Si configuró un segundo paso, ingrese su código. Después recordamos "
                    "este navegador.</p>",
                ),
            ),
        ),
    ),
    TutorialSpec(
        "reset-your-password",
        "everyone",
        2,
        (
            "Reset your password",
            "Get back in by email, even while your account is locked out.",
            (
                ("Open the reset page", "<p>Choose <b>Forgot your password?</b>.</p>"),
                (
                    "Tell us who you are",
                    "<p>Enter your username or the email address on your account.</p>",
                ),
                (
                    "Enter the code",
                    "<p>Check your email (and spam folder) for the code and enter it.</p>",
                ),
                (
                    "Answer a question and choose a new password",
                    "<p>Answer one of your security questions, then choose a new password.</p>",
                ),
            ),
        ),
        (
            "Restablecer su contraseña",
            "Vuelva a entrar por correo electrónico, incluso si su cuenta está bloqueada.",
            (
                (
                    "Abra la página para restablecerla",
                    "<p>Elija <b>¿Olvidó su contraseña?</b>.</p>",
                ),
                (
                    "Díganos quién es",
                    "<p>Ingrese su nombre de usuario o el correo electrónico de su cuenta.</p>",
                ),
                (
                    "Ingrese el código",
                    "<p>Busque el código en su correo (y en la carpeta de correo no deseado) e "
                    "ingréselo.</p>",
                ),
                (
                    "Responda una pregunta y elija una contraseña nueva",
                    "<p>Responda una de sus preguntas de seguridad y luego elija una contraseña "
                    "nueva.</p>",
                ),
            ),
        ),
    ),
    TutorialSpec(
        "request-a-secure-tool",
        "clients",
        3,
        (
            "Request a secure tool",
            "Ask for a client's drug-trend reports, eligibility lookup or claims reports.",
            (
                ("Open your client home", "<p>Sign in and choose <b>Client home</b>.</p>"),
                (
                    "Pick the tool and the client",
                    "<p>Choose a client you are linked to, or ask for the link first.</p>",
                ),
                (
                    "Give your business reason",
                    "<p>Say why you need the tool; our account team reads it.</p>",
                ),
                (
                    "Wait for our decision",
                    "<p>We decide within 10 calendar days and email you. Your request page "
                    "shows its stage and due date.</p>",
                ),
            ),
        ),
        (
            "Solicitar una herramienta segura",
            "Pida los informes de tendencia de medicamentos, la consulta de elegibilidad o los "
            "informes de reclamos de un cliente.",
            (
                (
                    "Abra su página de cliente",
                    "<p>Inicie sesión y elija <b>Inicio de cliente</b>.</p>",
                ),
                (
                    "Elija la herramienta y el cliente",
                    "<p>Elija un cliente con el que esté vinculado, o pida primero el vínculo.</p>",
                ),
                (
                    "Indique el motivo comercial",
                    "<p>Explique por qué necesita la herramienta; nuestro equipo de cuentas lo "
                    "leerá.</p>",
                ),
                (
                    "Espere nuestra decisión",
                    "<p>Decidimos dentro de 10 días calendario y le avisamos por correo "
                    "electrónico. La página de su solicitud muestra la etapa y la fecha "
                    "límite.</p>",
                ),
            ),
        ),
    ),
)
