"""Demo content of the hub, in English and Spanish (formal "usted"). Generic, written for the
demo and marked as sample content: no drug prices, no invented products; news items describe
public developments in general terms only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rxportal.content.models import (
    HubItemPage,
    NewsPage,
    PublicationPage,
    StrategyPage,
    ToolPage,
    WebinarPage,
)

HOME = {
    "en": {
        "title": "Clients and advisors hub",
        "intro": "News, tools, webinars and publications for plan sponsors and their advisors.",
    },
    "es": {
        "title": "Centro para clientes y asesores",
        "intro": "Noticias, herramientas, seminarios web y publicaciones para patrocinadores de planes y sus asesores.",
    },
}

SECTIONS: dict[str, dict[str, dict[str, str]]] = {
    "news": {
        "en": {
            "title": "Industry news",
            "intro": "What is changing in pharmacy benefits, in brief.",
        },
        "es": {
            "title": "Noticias del sector",
            "intro": "Lo que cambia en los beneficios de farmacia, en pocas palabras.",
        },
    },
    "tools": {
        "en": {
            "title": "Communication tools",
            "intro": "Templates to tell your members about their pharmacy benefit.",
        },
        "es": {
            "title": "Herramientas de comunicación",
            "intro": "Plantillas para informar a sus miembros sobre su beneficio de farmacia.",
        },
    },
    "webinars": {
        "en": {"title": "Webinars", "intro": "Register for upcoming sessions or watch past ones."},
        "es": {
            "title": "Seminarios web",
            "intro": "Inscríbase en las próximas sesiones o vea las anteriores.",
        },
    },
    "publications": {
        "en": {
            "title": "Publications",
            "intro": "Reports and guides from our clinical and benefits teams.",
        },
        "es": {
            "title": "Publicaciones",
            "intro": "Informes y guías de nuestros equipos clínicos y de beneficios.",
        },
    },
    "strategies": {
        "en": {
            "title": "Managing drug trend",
            "intro": "Strategies that help control pharmacy costs without losing sight of members' health.",
        },
        "es": {
            "title": "Control de la tendencia de costos",
            "intro": "Estrategias que ayudan a controlar los costos de farmacia sin perder de vista la salud de los miembros.",
        },
    },
}


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    filename: str
    text: str


@dataclass(frozen=True)
class ItemSpec:
    section: str
    slug: str
    audience: str
    topic: str
    days_ago: int
    en: dict[str, str]
    es: dict[str, str]
    # Webinars: days from now (negative: in the past) and the recording of a past one.
    webinar_in_days: int | None = None
    recording_url: str = ""
    document: DocumentSpec | None = None
    document_es: DocumentSpec | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def shared_values(self, *, now: dt.datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "audience": self.audience,
            "topic": self.topic,
            "date": (now - dt.timedelta(days=self.days_ago)).date(),
            "is_sample": True,
        }
        if self.webinar_in_days is not None:
            starts = (now + dt.timedelta(days=self.webinar_in_days)).astimezone(dt.UTC)
            starts = starts.replace(hour=18, minute=0, second=0, microsecond=0)
            values.update(
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                recording_url=self.recording_url,
                date=starts.date(),
            )
        return values


def item_model(section: str) -> type[HubItemPage]:
    return {
        "news": NewsPage,
        "tools": ToolPage,
        "webinars": WebinarPage,
        "publications": PublicationPage,
        "strategies": StrategyPage,
    }[section]


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


ITEMS: tuple[ItemSpec, ...] = (
    # --- Industry news
    ItemSpec(
        section="news",
        slug="biosimilar-competition",
        audience="both",
        topic="generics",
        days_ago=3,
        en={
            "title": "More biosimilars reach the market",
            "summary": "Regulators have approved a growing number of biosimilars, and more plans now prefer them on their formularies.",
            "body": _p(
                "Biosimilars are highly similar, lower-cost versions of biologic medicines. Over the past few years the number of approved biosimilars has grown steadily, including for several widely used biologics.",
                "For plan sponsors, the question is less whether biosimilars work than how quickly members move to them. Formulary placement, member communication and prescriber outreach all play a part.",
            ),
        },
        es={
            "title": "Llegan más biosimilares al mercado",
            "summary": "Los reguladores han aprobado un número creciente de biosimilares, y más planes los prefieren en sus formularios.",
            "body": _p(
                "Los biosimilares son versiones muy similares y de menor costo de medicamentos biológicos. En los últimos años el número de biosimilares aprobados ha crecido de forma constante, incluso para varios biológicos de uso común.",
                "Para los patrocinadores de planes, la pregunta no es tanto si los biosimilares funcionan, sino con qué rapidez los miembros los adoptan. La ubicación en el formulario, la comunicación con los miembros y el contacto con los médicos influyen.",
            ),
        },
    ),
    ItemSpec(
        section="news",
        slug="part-d-redesign",
        audience="advisors",
        topic="regulation",
        days_ago=10,
        en={
            "title": "Medicare Part D redesign: what advisors are asking",
            "summary": "Recent federal law changed how costs are shared in Medicare Part D, including a yearly cap on what enrollees pay out of pocket.",
            "body": _p(
                "Federal legislation enacted in 2022 redesigned the Medicare Part D benefit. Among other changes, enrollees now have an annual limit on out-of-pocket drug costs, and the share paid by plans and manufacturers has changed.",
                "Employer groups that offer retiree coverage alongside Medicare should review how these changes affect creditable coverage notices and plan design. Your account team can walk through the details for each client.",
            ),
        },
        es={
            "title": "Rediseño de la Parte D de Medicare: lo que preguntan los asesores",
            "summary": "Una ley federal reciente cambió cómo se reparten los costos en la Parte D de Medicare, incluido un límite anual de gastos de bolsillo.",
            "body": _p(
                "La legislación federal aprobada en 2022 rediseñó el beneficio de la Parte D de Medicare. Entre otros cambios, los inscritos tienen ahora un límite anual de gastos de bolsillo en medicamentos, y cambió la parte que pagan los planes y los fabricantes.",
                "Los empleadores que ofrecen cobertura a jubilados junto con Medicare deben revisar cómo estos cambios afectan los avisos de cobertura acreditable y el diseño del plan. Su equipo de cuenta puede explicarle los detalles para cada cliente.",
            ),
        },
    ),
    ItemSpec(
        section="news",
        slug="price-transparency-reporting",
        audience="clients",
        topic="regulation",
        days_ago=20,
        en={
            "title": "Prescription drug reporting for group health plans",
            "summary": "Group health plans report prescription drug and health care spending to federal agencies each year. Here is how we help.",
            "body": _p(
                "Under federal transparency rules, group health plans and issuers submit yearly data on prescription drug spending, including the most frequently dispensed and most costly drugs.",
                "We prepare the pharmacy portion of this data for our clients. Your account team will contact your designated contact before each deadline.",
            ),
        },
        es={
            "title": "Informes de medicamentos recetados para planes de salud grupales",
            "summary": "Los planes de salud grupales informan cada año a las agencias federales sus gastos en medicamentos recetados y atención médica. Así le ayudamos.",
            "body": _p(
                "Según las normas federales de transparencia, los planes de salud grupales y las aseguradoras presentan cada año datos sobre el gasto en medicamentos recetados, incluidos los medicamentos más dispensados y los más costosos.",
                "Preparamos la parte de farmacia de estos datos para nuestros clientes. Su equipo de cuenta se comunicará con su contacto designado antes de cada fecha límite.",
            ),
        },
    ),
    # --- Communication tools (member-communication templates)
    ItemSpec(
        section="tools",
        slug="open-enrollment-letter",
        audience="both",
        topic="engagement",
        days_ago=5,
        en={
            "title": "Open enrollment letter: your pharmacy benefit",
            "summary": "A letter template that explains the pharmacy benefit to members during open enrollment.",
            "body": _p(
                "Fill in the highlighted fields with your plan's details before sending. The letter explains how to find covered drugs, use mail order and reach member services."
            ),
        },
        es={
            "title": "Carta de inscripción abierta: su beneficio de farmacia",
            "summary": "Una plantilla de carta que explica el beneficio de farmacia a los miembros durante la inscripción abierta.",
            "body": _p(
                "Complete los campos indicados con los datos de su plan antes de enviarla. La carta explica cómo encontrar los medicamentos cubiertos, usar el servicio de pedidos por correo y comunicarse con servicios para miembros."
            ),
        },
        document=DocumentSpec(
            title="Open enrollment letter template",
            filename="open-enrollment-letter.txt",
            text=(
                "[Plan sponsor letterhead]\n\nDear [Member name],\n\n"
                "Your pharmacy benefit for [plan year] is administered by [PBM name].\n"
                "- Find out whether a drug is covered at [portal address] or by calling member services.\n"
                "- Save time with home delivery for medicines you take every day.\n"
                "- Questions? Call member services at [member services phone], 24 hours a day.\n\n"
                "Sincerely,\n[Benefits team]\n"
            ),
        ),
        document_es=DocumentSpec(
            title="Plantilla de carta de inscripción abierta",
            filename="carta-inscripcion-abierta.txt",
            text=(
                "[Membrete del patrocinador del plan]\n\nEstimado(a) [nombre del miembro]:\n\n"
                "Su beneficio de farmacia para [año del plan] lo administra [nombre del PBM].\n"
                "- Consulte si un medicamento está cubierto en [dirección del portal] o llamando a servicios para miembros.\n"
                "- Ahorre tiempo con la entrega a domicilio de los medicamentos que toma todos los días.\n"
                "- ¿Preguntas? Llame a servicios para miembros al [teléfono], las 24 horas del día.\n\n"
                "Atentamente,\n[Equipo de beneficios]\n"
            ),
        ),
    ),
    ItemSpec(
        section="tools",
        slug="formulary-change-notice",
        audience="clients",
        topic="benefit_design",
        days_ago=12,
        en={
            "title": "Formulary change notice",
            "summary": "A notice template for members whose drug moves to a different tier or needs a new approval.",
            "body": _p(
                "Send this notice at least 30 days before a formulary change takes effect, or as your plan documents require. It tells members what changes, when, and what they can do."
            ),
        },
        es={
            "title": "Aviso de cambio en el formulario",
            "summary": "Una plantilla de aviso para miembros cuyo medicamento pasa a otro nivel o necesita una nueva aprobación.",
            "body": _p(
                "Envíe este aviso al menos 30 días antes de que el cambio entre en vigor, o según lo exijan los documentos de su plan. Indica a los miembros qué cambia, cuándo y qué pueden hacer."
            ),
        },
        document=DocumentSpec(
            title="Formulary change notice template",
            filename="formulary-change-notice.txt",
            text=(
                "Dear [Member name],\n\nStarting [effective date], [drug name] will [change].\n"
                "What you can do:\n- Talk with your doctor about covered alternatives.\n"
                "- Ask your doctor to request an exception if needed.\n"
                "Questions? Call member services at [member services phone].\n"
            ),
        ),
    ),
    ItemSpec(
        section="tools",
        slug="advisor-client-briefing",
        audience="advisors",
        topic="cost",
        days_ago=25,
        en={
            "title": "Client briefing slides outline",
            "summary": "An outline advisors can adapt to brief a client's leadership on pharmacy spending.",
            "body": _p(
                "The outline covers spending by channel, specialty drugs, generic use and the programs in place, with space for your own commentary."
            ),
        },
        es={
            "title": "Esquema de presentación para clientes",
            "summary": "Un esquema que los asesores pueden adaptar para informar a la dirección de un cliente sobre el gasto en farmacia.",
            "body": _p(
                "El esquema trata el gasto por canal, los medicamentos especializados, el uso de genéricos y los programas vigentes, con espacio para sus propios comentarios."
            ),
        },
        document=DocumentSpec(
            title="Client briefing outline",
            filename="client-briefing-outline.txt",
            text=(
                "1. Spending at a glance: retail, mail and specialty\n2. Specialty drugs\n"
                "3. Generic and biosimilar use\n4. Programs in place and results\n5. Next steps\n"
            ),
        ),
    ),
    # --- Webinars
    ItemSpec(
        section="webinars",
        slug="specialty-drug-outlook",
        audience="both",
        topic="specialty",
        days_ago=0,
        webinar_in_days=14,
        en={
            "title": "Specialty drug outlook",
            "summary": "A one-hour session on the specialty pipeline and what it may mean for plan costs.",
            "body": _p(
                "Our clinical team reviews the specialty categories to watch, the role of biosimilars and the programs that help members stay on therapy. Questions are welcome."
            ),
        },
        es={
            "title": "Panorama de medicamentos especializados",
            "summary": "Una sesión de una hora sobre los medicamentos especializados en desarrollo y lo que pueden significar para los costos del plan.",
            "body": _p(
                "Nuestro equipo clínico repasa las categorías especializadas a seguir, el papel de los biosimilares y los programas que ayudan a los miembros a continuar su tratamiento. Puede hacer preguntas."
            ),
        },
    ),
    ItemSpec(
        section="webinars",
        slug="advisor-renewal-season",
        audience="advisors",
        topic="benefit_design",
        days_ago=0,
        webinar_in_days=30,
        en={
            "title": "Renewal season for advisors",
            "summary": "How to read a pharmacy renewal and which plan design levers to discuss with clients.",
            "body": _p(
                "We walk through a sample renewal, explain each section and discuss common plan design options."
            ),
        },
        es={
            "title": "Temporada de renovaciones para asesores",
            "summary": "Cómo leer una renovación de farmacia y qué opciones de diseño del plan conversar con los clientes.",
            "body": _p(
                "Revisamos una renovación de ejemplo, explicamos cada sección y comentamos opciones comunes de diseño del plan."
            ),
        },
    ),
    ItemSpec(
        section="webinars",
        slug="member-engagement-basics",
        audience="clients",
        topic="engagement",
        days_ago=0,
        webinar_in_days=-45,
        recording_url="https://www.example.com/recordings/member-engagement",
        en={
            "title": "Member engagement basics",
            "summary": "Recorded session: simple ways to help members use their pharmacy benefit well.",
            "body": _p(
                "The session covered home delivery, the cost estimator, reminders for refills and how to reach members who need help."
            ),
        },
        es={
            "title": "Conceptos básicos de participación de los miembros",
            "summary": "Sesión grabada: formas sencillas de ayudar a los miembros a usar bien su beneficio de farmacia.",
            "body": _p(
                "La sesión trató la entrega a domicilio, el estimador de costos, los recordatorios de resurtido y cómo llegar a los miembros que necesitan ayuda."
            ),
        },
    ),
    # --- Publications
    ItemSpec(
        section="publications",
        slug="drug-trend-report",
        audience="both",
        topic="cost",
        days_ago=7,
        en={
            "title": "Annual drug trend report (sample)",
            "summary": "How pharmacy spending changed over the year, by channel and therapy class, and why.",
            "body": _p(
                "This sample report shows the structure of our yearly review: the overall trend, what drove it, and the programs that offset it."
            ),
        },
        es={
            "title": "Informe anual de tendencia de costos (muestra)",
            "summary": "Cómo cambió el gasto en farmacia durante el año, por canal y clase terapéutica, y por qué.",
            "body": _p(
                "Este informe de muestra presenta la estructura de nuestra revisión anual: la tendencia general, sus causas y los programas que la compensan."
            ),
        },
        document=DocumentSpec(
            title="Drug trend report (sample)",
            filename="drug-trend-report-sample.pdf",
            text="Drug trend report (sample)\n\n1. Overall trend\n2. Drivers: utilization, mix, unit cost\n3. Specialty\n4. Programs and results\n",
        ),
    ),
    ItemSpec(
        section="publications",
        slug="plan-design-guide",
        audience="advisors",
        topic="benefit_design",
        days_ago=30,
        en={
            "title": "Plan design guide for advisors",
            "summary": "A guide to tiers, deductibles, out-of-pocket limits and how they interact.",
            "body": _p(
                "The guide explains each plan design element in plain language, with questions to ask when comparing options."
            ),
        },
        es={
            "title": "Guía de diseño de planes para asesores",
            "summary": "Una guía sobre niveles, deducibles, límites de gastos de bolsillo y cómo se relacionan.",
            "body": _p(
                "La guía explica cada elemento del diseño del plan en lenguaje sencillo, con preguntas para comparar opciones."
            ),
        },
    ),
    ItemSpec(
        section="publications",
        slug="client-newsletter",
        audience="clients",
        topic="engagement",
        days_ago=15,
        en={
            "title": "Client newsletter",
            "summary": "Quarterly news for benefits teams: program updates, reminders and upcoming dates.",
            "body": _p(
                "This issue covers open enrollment reminders, the member portal and our upcoming webinars."
            ),
        },
        es={
            "title": "Boletín para clientes",
            "summary": "Noticias trimestrales para equipos de beneficios: novedades de programas, recordatorios y próximas fechas.",
            "body": _p(
                "Este número trata los recordatorios de inscripción abierta, el portal para miembros y nuestros próximos seminarios web."
            ),
        },
    ),
    # --- Strategies to manage drug trend
    ItemSpec(
        section="strategies",
        slug="generic-first",
        audience="both",
        topic="generics",
        days_ago=4,
        en={
            "title": "Encourage generics and biosimilars",
            "summary": "Lower tiers, clear communication and pharmacist outreach help members choose lower-cost equivalents.",
            "body": _p(
                "Generic drugs have the same active ingredients as their brand-name versions. Placing them on the lowest tier and explaining why they work the same helps members choose them.",
                "For biologics, biosimilars offer similar savings. Prescriber outreach matters most here, since a new prescription is often needed.",
            ),
        },
        es={
            "title": "Fomente los genéricos y biosimilares",
            "summary": "Niveles más bajos, comunicación clara y contacto de los farmacéuticos ayudan a los miembros a elegir equivalentes de menor costo.",
            "body": _p(
                "Los medicamentos genéricos tienen los mismos principios activos que sus versiones de marca. Ubicarlos en el nivel más bajo y explicar que funcionan igual ayuda a los miembros a elegirlos.",
                "En los biológicos, los biosimilares ofrecen ahorros similares. El contacto con los médicos es lo más importante, ya que a menudo se necesita una nueva receta.",
            ),
        },
    ),
    ItemSpec(
        section="strategies",
        slug="specialty-management",
        audience="clients",
        topic="specialty",
        days_ago=9,
        en={
            "title": "Manage specialty drugs",
            "summary": "Prior authorization, a specialty pharmacy network and adherence support for high-cost therapies.",
            "body": _p(
                "Specialty drugs are a small share of prescriptions but a large share of spending. Clinical review before the first fill, dispensing through specialty pharmacies and regular check-ins keep members on the right therapy."
            ),
        },
        es={
            "title": "Gestione los medicamentos especializados",
            "summary": "Autorización previa, una red de farmacias especializadas y apoyo a la adherencia para terapias de alto costo.",
            "body": _p(
                "Los medicamentos especializados son una pequeña parte de las recetas, pero una gran parte del gasto. La revisión clínica antes del primer surtido, la dispensación en farmacias especializadas y el seguimiento periódico mantienen a los miembros en la terapia adecuada."
            ),
        },
    ),
    ItemSpec(
        section="strategies",
        slug="advisor-benchmarking",
        audience="advisors",
        topic="cost",
        days_ago=18,
        en={
            "title": "Benchmark a client's pharmacy program",
            "summary": "Which measures to compare, against what, and how to present the results.",
            "body": _p(
                "Compare generic use, specialty share and cost per member per month against clients of similar size and industry, and over several years rather than one."
            ),
        },
        es={
            "title": "Compare el programa de farmacia de un cliente",
            "summary": "Qué medidas comparar, con qué referencia y cómo presentar los resultados.",
            "body": _p(
                "Compare el uso de genéricos, la proporción de especializados y el costo por miembro por mes con clientes de tamaño e industria similares, y a lo largo de varios años, no de uno solo."
            ),
        },
    ),
)
