"""WTForms (Flask-WTF) forms of the contest side. Every form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from contest.passwords import MIN_LENGTH
from contest.rules import SUPPORTED_FILE_TYPES

REQUIRED = _l("This field is required.")
NUMBER = _l("Enter a number.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_LENGTH,
                message=_l("The password needs at least %(n)d characters.", n=MIN_LENGTH),
            ),
        ],
    )
    password2 = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Create my account"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_LENGTH,
                message=_l("The password needs at least %(n)d characters.", n=MIN_LENGTH),
            ),
        ],
    )
    new2 = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(REQUIRED), EqualTo("new", _l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class StaffUserForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    is_admin = BooleanField(_l("Administrator"))
    contest = SelectField(_l("Contest"), choices=[], validate_choice=False)
    role = SelectField(
        _l("Role in that contest"),
        choices=[
            SelectChoice("", _l("(none)")),
            SelectChoice("secretary", _l("Secretary")),
            SelectChoice("judge", _l("Judge")),
        ],
    )
    submit = SubmitField(_l("Create account"))


class MembershipForm(FlaskForm):
    email = EmailField(_l("E-mail of an existing account"), validators=[DataRequired(REQUIRED)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("secretary", _l("Secretary")), SelectChoice("judge", _l("Judge"))],
    )
    submit = SubmitField(_l("Add"))


class ContestForm(FlaskForm):
    preset = SelectField(_l("Start from the preset"), choices=[], validate_choice=True)
    slug = StringField(
        _l("Short name (in the address)"),
        validators=[DataRequired(REQUIRED), Length(max=60)],
        description=_l("Lowercase letters, digits and hyphens, e.g. chinh-luan-2025."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    rules = TextAreaField(_l("Rules"), validators=[Optional(), Length(max=100000)])
    opens_at = DateTimeLocalField(
        _l("Opens at (Vietnam time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter a date and time."))],
    )
    closes_at = DateTimeLocalField(
        _l("Closes at (Vietnam time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter a date and time."))],
    )
    min_words = IntegerField(_l("Minimum words"), validators=[InputRequired(NUMBER)])
    max_words = IntegerField(_l("Maximum words"), validators=[InputRequired(NUMBER)])
    allowed_file_types = MultiCheckboxField(
        _l("Allowed file types"), choices=[SelectChoice(t, "." + t) for t in SUPPORTED_FILE_TYPES]
    )
    max_file_mb = IntegerField(_l("Maximum file size (MB)"), validators=[InputRequired(NUMBER)])
    max_entries_per_author = IntegerField(
        _l("Written entries per author"), validators=[InputRequired(NUMBER)]
    )
    max_media_entries_per_author = IntegerField(
        _l("Audio/video entries per author"),
        validators=[InputRequired(NUMBER), NumberRange(min=0, max=20)],
    )
    max_coauthors = IntegerField(
        _l("Co-authors per written entry"), validators=[InputRequired(NUMBER)]
    )
    max_media_coauthors = IntegerField(
        _l("Co-authors per audio/video entry"),
        validators=[InputRequired(NUMBER), NumberRange(min=0, max=10)],
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class StateForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])


class CriterionRow(Form):
    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    guidance = TextAreaField(_l("Guidance"), validators=[Optional(), Length(max=2000)])
    max_points = FloatField(_l("Maximum points"), validators=[Optional()])
    weight = FloatField(_l("Weight"), default=1.0, validators=[Optional()])
    remove = BooleanField(_l("Remove"))


class RubricForm(FlaskForm):
    criteria = FieldList(FormField(CriterionRow), min_entries=1, max_entries=30)
    add_row = SubmitField(_l("Add a criterion"))
    submit = SubmitField(_l("Save the rubric"))


class CategoryRow(Form):
    id = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    overlap_percent = FloatField(_l("Overlap threshold (%)"), validators=[InputRequired(NUMBER)])
    quotas = StringField(
        _l("Prize quotas"),
        validators=[Optional(), Length(max=200)],
        description=_l("Prize code and count, e.g. A=3, B=6, C=10, KK=20"),
    )


class CategoriesForm(FlaskForm):
    categories = FieldList(FormField(CategoryRow), min_entries=0, max_entries=20)
    submit = SubmitField(_l("Save the categories"))


class LanguageForm(FlaskForm):
    lang = HiddenField()


class AuthorRowForm(Form):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    unit = StringField(_l("Unit (organisation)"), validators=[Optional(), Length(max=300)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    id_number = StringField(
        _l("ID card number (optional)"), validators=[Optional(), Length(max=20)]
    )


class EntryDetailsForm(FlaskForm):
    title = StringField(
        _l("Title of the work"), validators=[DataRequired(REQUIRED), Length(max=500)]
    )
    category = SelectField(_l("Category"), choices=[], validate_choice=True)
    pen_name = StringField(_l("Pen name (optional)"), validators=[Optional(), Length(max=200)])
    authors = FieldList(FormField(AuthorRowForm), min_entries=1, max_entries=11)
    add_author = SubmitField(_l("Add a co-author"))
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class EntryForm(EntryDetailsForm):
    document = FileField(_l("The essay (document file)"))
    media = FileField(_l("Audio or video file (radio and television categories)"))
    declaration = BooleanField(
        _l("I declare that this work is my own (our own) and has not been published before."),
    )
    form_token = HiddenField()
    submit = SubmitField(_l("Upload and check"))


class ReplaceFileForm(FlaskForm):
    document = FileField(_l("New version of the essay"))
    submit = SubmitField(_l("Replace the file"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Submit the entry"))


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("Yes, withdraw this entry"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Withdraw"))


class SetPasswordForm(PasswordForm):
    """After a one-time sign-in link: the same form without the current password."""

    current = None


class ActionForm(FlaskForm):
    """A form that carries only the CSRF token: the buttons of the back office."""
