"""Sign in, sign out, register, change password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from contest import services
from contest.auth import safe_next
from contest.extensions import limiter
from contest.forms import LoginForm, PasswordForm, RegisterForm
from contest.problems import ProblemError
from contest.views import show_problems
from contest.web import db

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _start_session(user) -> None:
    # A fresh session on every sign-in: nothing planted before login survives (fixation).
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = False


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(db(), email=form.email.data, password=form.password.data)
        if user is None:
            form.password.errors = [_("Wrong e-mail or password.")]
            return render_template("auth/login.html", form=form), 400
        _start_session(user)
        if user.must_change_password:
            flash(_("This is a one-time password: choose your own now."), "info")
            return redirect(url_for("auth.password"))
        return redirect(safe_next(form.next.data) or url_for("public.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db(),
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
            )
        except ProblemError as e:
            show_problems(form, e)
        else:
            _start_session(user)
            flash(_("Your account is ready."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = db().merge(current_user._get_current_object())
        try:
            services.change_password(db(), user=user, current=form.current.data, new=form.new.data)
        except ProblemError as e:
            show_problems(form, e)
        else:
            _start_session(user)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("public.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.get("/login/link/<token>")
@limiter.limit(_login_limit)
def login_link(token: str):
    """A one-time sign-in link given to an invited judge; it works once, then expires."""
    user = services.use_login_token(db(), token)
    if user is None:
        flash(
            _("This sign-in link is used or expired. Ask the secretariat for a new one."), "error"
        )
        return redirect(url_for("auth.login")), 303
    _start_session(user)
    flash(_("Welcome. Choose a password now, so you can sign in again later."), "info")
    return redirect(url_for("auth.password_set"))


@bp.route("/account/set-password", methods=["GET", "POST"])
@login_required
def password_set():
    """After a sign-in link: set a password without knowing the generated one."""
    from contest.forms import SetPasswordForm

    form = SetPasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.set_password(db(), user=user, new=form.new.data)
        except ProblemError as e:
            show_problems(form, e)
        else:
            _start_session(user)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("judge.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
