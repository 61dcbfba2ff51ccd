"""Registration forms: step 1 (member eligibility, or a client's or advisor's work details), the
account step (allauth's signup form, ``ACCOUNT_FORMS["signup"]``) and the email code.

Every form keeps what was typed, except secrets (passwords and challenge answers), says what is
wrong next to the field and in a summary, and turns odd input (overlong, null bytes, control
characters, impossible dates) into a form error, never a crash.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmEmailVerificationCodeForm, SignupForm
from allauth.core import context
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.challenge_questions import (
    ANSWER_MIN_LENGTH,
    ANSWERS_REQUIRED,
    normalize_answer,
)
from rxportal.accounts.domain import is_foreign_email_username, normalize_username
from rxportal.accounts.errors import InvalidSiteKeyPhrase
from rxportal.accounts.forms.common import (
    ANSWER_MAX_LENGTH,
    CODE_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    AccessibleErrorsMixin,
    NeverShowValueInput,
    question_choices,
)
from rxportal.accounts.models import Role, User
from rxportal.accounts.services import registration
from rxportal.accounts.services.roles import ensure_role_group
from rxportal.accounts.sitekeys import PHRASE_MAX_LENGTH, SITEKEY_IMAGES, clean_sitekey_phrase
from rxportal.core import clock

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise
else:
    StrOrPromise = str

REGISTRATION_ERRORS_ID = "registration-errors"
MEMBER_ID_MAX_LENGTH = 40
NAME_MAX_LENGTH = 100
ZIP_MAX_LENGTH = 10
ORGANIZATION_MAX_LENGTH = 200
OLDEST_BIRTH_YEAR = 1900

NO_MATCH_ERROR = _(
    "We couldn't match those details to a plan member. Check them against your member ID card."
)
MINOR_ERROR = _(
    "You must be 18 or older to create your own account. Until then, the plan's subscriber "
    "(usually a parent or guardian) can see your prescriptions in their account."
)
EXPIRED_ERROR = _("Your registration timed out. Start again from the first step.")


def _clean_text(value: str, *, message: StrOrPromise) -> str:
    """Spaces collapsed; control and format characters (bidi overrides, zero-width) refused."""
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if any(unicodedata.category(char).startswith("C") for char in text):
        raise ValidationError(message, code="invalid_characters")
    return text


class _RegistrationFormMixin(AccessibleErrorsMixin):
    errors_id = REGISTRATION_ERRORS_ID


class _PersonNameForm(_RegistrationFormMixin, forms.Form):
    """First and last name, as both kinds of step 1 ask for them."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def clean_first_name(self) -> str:
        return _clean_text(self.cleaned_data["first_name"], message=_("Enter your first name."))

    def clean_last_name(self) -> str:
        return _clean_text(self.cleaned_data["last_name"], message=_("Enter your last name."))


class MemberEligibilityForm(_PersonNameForm):
    """Step 1 for members: the details on the member ID card, and the date of birth."""

    field_order = ["member_id", "first_name", "last_name", "date_of_birth", "zip_code"]

    member_id = forms.CharField(
        label=_("Member ID"),
        max_length=MEMBER_ID_MAX_LENGTH,
        help_text=_("As printed on your member ID card, with or without the last two digits."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        help_text=_("For example 06/15/1980."),
        input_formats=["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter your date of birth, for example 06/15/1980.")},
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        max_length=ZIP_MAX_LENGTH,
        help_text=_("The ZIP code of the address your plan has for you."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or clock.today()
        self.describe_fields()

    def clean_member_id(self) -> str:
        return _clean_text(
            self.cleaned_data["member_id"], message=_("Enter the member ID from your card.")
        )

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        digits = "".join(char for char in unicodedata.normalize("NFKC", value) if char.isdigit())
        if len(digits) not in (5, 9) or any(char.isalpha() for char in value):
            raise ValidationError(_("Enter a 5-digit ZIP code, such as 06103."), code="zip")
        return value

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        if born > self.today or born.year < OLDEST_BIRTH_YEAR:
            raise ValidationError(
                _("Enter your date of birth, for example 06/15/1980."), code="date_range"
            )
        # Decided from what was typed, before any record is looked at: it reveals nothing.
        if not registration.is_adult(born, today=self.today):
            raise ValidationError(MINOR_ERROR, code="minor")
        return born


class BusinessDetailsForm(_PersonNameForm):
    """Step 1 for clients (plan sponsors) and advisors (brokers, consultants)."""

    organization_claim = forms.CharField(
        label=_("Organization"),
        max_length=ORGANIZATION_MAX_LENGTH,
        help_text=_("The employer, plan sponsor or firm you work for."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    role = forms.ChoiceField(
        label=_("Your role"),
        choices=[
            (Role.CLIENT, _("Client: I work for an employer or plan sponsor")),
            (Role.ADVISOR, _("Advisor: I am a broker or benefits consultant")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose your role."),
            "invalid_choice": _("Choose one of the roles shown."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()

    def clean_organization_claim(self) -> str:
        return _clean_text(
            self.cleaned_data["organization_claim"], message=_("Enter your organization's name.")
        )


class _RehearsalOver(Exception):
    """Ends ``RegistrationSignupForm._rehearse_account_creation``, rolling its writes back."""


class RegistrationSignupForm(_RegistrationFormMixin, SignupForm):
    """The account step (allauth's ``SignupView``): email, username, password, SiteKey, and three
    challenge questions. Open only after step 1 (``PortalAccountAdapter.is_open_for_signup``).

    When the email, the username derived from it, or the member record already belongs to an
    account, the form is still valid and ``account_already_exists`` is set: allauth then shows the
    same "check your email" page without creating anything, and the adapter notifies the owner.
    Either way ``try_save`` does the same work first, so the answer takes as long.
    """

    field_order = [
        "email",
        "username",
        "password1",
        "password2",
        "sitekey_image",
        "sitekey_phrase",
        *(f"{kind}_{n}" for n in range(1, ANSWERS_REQUIRED + 1) for kind in ("question", "answer")),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request: HttpRequest | None = context.request
        now = clock.now()
        self.registration = (
            registration.get_registration(self.request, now=now) if self.request else None
        )
        self.account_profile: registration.AccountProfile | None = None
        self._to_retire: dict[int, User] = {}
        self.username_unavailable = False
        self._rehearsing = False  # inside the taken path's rolled-back _create_account
        # Set by try_save on every path; the account adapter's save_user stores the password hash.
        self.account_secrets: registration.AccountSecrets | None = None

        email = self.fields["email"]
        business = self.registration is not None and not self.registration.is_member
        email.label = _("Work email address") if business else _("Email address")
        email.help_text = _("We'll send a code to this address to confirm it.")
        email.validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
        email.widget.attrs.pop("placeholder", None)

        username = self.fields["username"]
        username.required = False
        username.label = _("Username (optional)")
        username.help_text = _(
            "Leave it blank to sign in with your email address. Letters, digits and @ . + - _ "
            "only; capitals don't matter."
        )
        username.widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        username.widget.attrs.pop("placeholder", None)

        password1 = self.fields["password1"]
        password1.label = _("Password")
        password1.help_text = _(
            "At least 15 characters. A short sentence works well; spaces, symbols and any "
            "language are welcome, and no special characters are required. It can't be a common "
            "password or contain your name or username."
        )
        password2 = self.fields["password2"]
        password2.label = _("Type the password again")
        for field in (password1, password2):
            field.widget.attrs.pop("placeholder", None)

        self.fields["sitekey_image"] = forms.ChoiceField(
            label=_("Choose a picture"),
            help_text=_("We show it, with your phrase, before you type your password."),
            choices=[(image.slug, image.alt_text) for image in SITEKEY_IMAGES],
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Choose a picture."),
                "invalid_choice": _("Choose one of the pictures shown."),
            },
        )
        self.fields["sitekey_phrase"] = forms.CharField(
            label=_("Your SiteKey phrase"),
            max_length=PHRASE_MAX_LENGTH,
            help_text=_(
                "3 to 60 characters you will recognize, such as 'Morning tea by the lake'. "
                "Not your password."
            ),
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )
        for n in range(1, ANSWERS_REQUIRED + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Question %(number)d") % {"number": n},
                choices=question_choices(),
                error_messages={
                    "required": _("Choose a question."),
                    "invalid_choice": _("Choose a question from the list."),
                },
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Answer to question %(number)d") % {"number": n},
                max_length=ANSWER_MAX_LENGTH,
                help_text=_("Capitals, spaces and punctuation don't matter.") if n == 1 else "",
                widget=NeverShowValueInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        self.order_fields(self.field_order)
        self.describe_fields()

    # --- fields ---------------------------------------------------------------------------------

    def validate_unique_email(self, value: str) -> str:
        holders = registration.email_holders(value)
        if holders and all(self._is_abandoned(user) for user in holders):
            self._to_retire.update((user.pk, user) for user in holders)
            return value
        return str(super().validate_unique_email(value))

    def clean_username(self) -> str:
        value = normalize_username(self.cleaned_data.get("username") or "")
        if not value:
            return ""
        return str(get_adapter().clean_username(value, shallow=True))

    def clean_sitekey_phrase(self) -> str:
        try:
            return clean_sitekey_phrase(self.cleaned_data["sitekey_phrase"])
        except InvalidSiteKeyPhrase as error:
            raise ValidationError(error.message, code="sitekey_phrase") from None

    # --- the whole form -------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        # allauth's BaseSignupForm.clean (email2/phone); SignupForm.clean's password checks are
        # redone below with the account's names, which its stand-in user lacks.
        cleaned: dict[str, Any] = super(SignupForm, self).clean()
        if self.registration is None:
            raise ValidationError(EXPIRED_ERROR, code="registration_expired")
        self.account_profile = registration.account_profile_for(self.registration)
        if self.account_profile is None:  # the record has gone: like a taken record
            self.account_already_exists = True
        else:
            cleaned["first_name"] = self.account_profile.first_name
            cleaned["last_name"] = self.account_profile.last_name
        self._clean_username_against_accounts(cleaned)
        if self.registration.is_member:
            holder = registration.member_holder(self.registration)
            if isinstance(holder, User) and self._is_abandoned(holder):
                self._to_retire[holder.pk] = holder
            elif holder is not None:
                self.account_already_exists = True
        self._clean_passwords(cleaned)
        self._clean_challenges(cleaned)
        return cleaned

    def _is_abandoned(self, user: User) -> bool:
        if self.request is None:
            return False
        return registration.is_abandoned_registration(user, request=self.request, now=clock.now())

    def _clean_username_against_accounts(self, cleaned: dict[str, Any]) -> None:
        if "username" in self.errors:
            return
        email = cleaned.get("email") or ""
        typed = cleaned.get("username") or ""
        username = typed or normalize_username(email)
        if not username:
            return  # the email is missing or invalid: its own error says so
        if not typed:
            try:
                get_adapter().clean_username(username, shallow=True)
            except ValidationError:
                self.add_error(
                    "username",
                    _("Your email address can't be used as a username. Choose a username."),
                )
                return
        if is_foreign_email_username(username, own_email=email):
            self.add_error(
                "username",
                _(
                    "A username can't be an email address other than yours. Choose a username "
                    "without @, or leave it blank to use your email address."
                ),
            )
            return
        holders = registration.username_holders(username)
        if holders and all(self._is_abandoned(user) for user in holders):
            self._to_retire.update((user.pk, user) for user in holders)
        elif holders and username == normalize_username(email):
            # The name is the email itself: saying "taken" would say the email is registered.
            self.account_already_exists = True
        elif holders:
            # Saying "taken" here would tell anyone which usernames exist. Like a taken email:
            # no account, the same code page, and the typed address hears why (see
            # registration.send_existing_account_notices).
            self.account_already_exists = True
            self.username_unavailable = True
        cleaned["username"] = username

    def _clean_passwords(self, cleaned: dict[str, Any]) -> None:
        password = cleaned.get("password1")
        if password:
            profile = self.account_profile
            stand_in = User(
                username=cleaned.get("username") or "",
                email=cleaned.get("email") or "",
                first_name=profile.first_name if profile else "",
                last_name=profile.last_name if profile else "",
            )
            try:
                get_adapter().clean_password(password, user=stand_in)
            except ValidationError as error:
                self.add_error("password1", error)
        both = "password1" in cleaned and "password2" in cleaned
        if both and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords don't match. Type it again."))

    def _clean_challenges(self, cleaned: dict[str, Any]) -> None:
        answers: dict[str, str] = {}
        for n in range(1, ANSWERS_REQUIRED + 1):
            question = cleaned.get(f"question_{n}")
            answer = cleaned.get(f"answer_{n}")
            if not question or answer is None:
                continue
            if question in answers:
                self.add_error(f"question_{n}", _("Choose a different question for each answer."))
                continue
            if len(normalize_answer(answer).replace(" ", "")) < ANSWER_MIN_LENGTH:
                self.add_error(
                    f"answer_{n}",
                    _("Each answer needs at least %(min)d letters or digits.")
                    % {"min": ANSWER_MIN_LENGTH},
                )
                continue
            answers[question] = answer
        cleaned["challenge_answers"] = answers

    # --- saving ---------------------------------------------------------------------------------

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        # A taken record, email or username must not answer sooner than a new account, so both
        # paths do the same work: four Argon2id hashes (registration.hash_account_secrets),
        # then the account's writes, which the taken path rehearses and rolls back. The plain
        # password leaves cleaned_data: allauth's save_user, finding none, sets an unusable one,
        # and our adapter puts this hash in its place.
        self.account_secrets = registration.hash_account_secrets(
            password=self.cleaned_data.pop("password1"),
            answers=self.cleaned_data["challenge_answers"],
        )
        self.cleaned_data.pop("password2", None)
        if self.account_already_exists:
            self._rehearse_account_creation(request)
        else:
            try:
                user = self._create_account(request)
            except registration.MemberAlreadyRegistered:
                self.account_already_exists = True  # lost a race: same answer as a taken record
            else:
                registration.note_pending_registration(request, user)
                registration.end_registration(request)
                return user, None
        # allauth's enumeration-safe path: no account, the same code page, a notice to owners.
        if self.username_unavailable:
            registration.note_username_unavailable(request)
        user, response = super().try_save(request)
        registration.end_registration(request)
        return user, response

    def _create_account(self, request: HttpRequest, *, rehearsal: bool = False) -> Any:
        """Every write of a new account, in one transaction: abandoned registrations in its way
        retired; allauth's save (the user row; our ``signup``: SiteKey, answers, audit entry;
        the email address); last, the member record's link, which may refuse and roll back.

        A ``rehearsal`` (the taken path's) ends in a rollback and differs in two writes, so
        that each path, start to end, writes the same rows (``test_every_path_of_the_*_account_
        step_sends_the_same_statements``): it joins the role's group here, as a new account does
        after this transaction (allauth's ``user_signed_up``, see ``clients.apps``), and it
        writes no ``account.registered`` entry: the notice's entry, written for real after the
        rollback, takes its place.
        """
        now = clock.now()
        self._rehearsing = rehearsal
        try:
            with transaction.atomic():
                for holder in self._to_retire.values():
                    registration.retire_abandoned_registration(
                        user=holder, request=request, now=now
                    )
                user = self.save(request)
                assert self.registration is not None  # checked in clean()
                if rehearsal:
                    ensure_role_group(user=user)
                registration.link_member_record(
                    user=user, registration=self.registration, rehearsal=rehearsal
                )
                if rehearsal:
                    raise _RehearsalOver
        finally:
            self._rehearsing = False
        return user

    def _rehearse_account_creation(self, request: HttpRequest) -> None:
        """The taken path's ``_create_account``: the same writes for a throwaway username and
        address, rolled back, so the database work of a taken record, email or username matches
        a new account's."""
        typed = {"username": self.cleaned_data["username"], "email": self.cleaned_data["email"]}
        username, email = registration.stand_in_identity()
        self.cleaned_data.update(username=username, email=email)
        self.account_already_exists = False  # allauth's save refuses to run otherwise
        try:
            self._create_account(request, rehearsal=True)
        except (_RehearsalOver, registration.MemberAlreadyRegistered):
            pass  # all rolled back (a record that has gone is refused at its link)
        finally:
            self.cleaned_data.update(typed)
            self.account_already_exists = True

    def signup(self, request: HttpRequest, user: Any) -> None:
        """allauth's hook after the user row is saved (inside ``try_save``'s transaction)."""
        assert self.registration is not None  # checked in clean()
        assert self.account_secrets is not None  # hashed in try_save
        registration.complete_registration(
            user=user,
            registration=self.registration,
            sitekey_image=self.cleaned_data["sitekey_image"],
            sitekey_phrase=self.cleaned_data["sitekey_phrase"],
            answers=self.account_secrets.challenge_answers,
            request=request,
            rehearsal=self._rehearsing,
        )


class RegistrationCodeForm(_RegistrationFormMixin, ConfirmEmailVerificationCodeForm):
    """The emailed code (``ACCOUNT_FORMS["confirm_email_verification_code"]``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = _("Code from the email")
        code.validators.append(MaxLengthValidator(CODE_MAX_LENGTH))
        code.widget.attrs.pop("placeholder", None)
        code.widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        )
        self.describe_fields()
