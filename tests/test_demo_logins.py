import io
import re

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def logins(out: str) -> dict:
    return {m[1]: m[2] for m in re.finditer(r"^ (?:Admin|Manager|CSM)\s+(\S+)\s+(\S+)\s+sees", out, re.M)}


def test_it_prints_one_working_login_per_role_at_the_given_port():
    out = io.StringIO()
    call_command("demo_logins", "--port", "8123", stdout=out)
    printed = logins(out.getvalue())
    assert "http://127.0.0.1:8123/" in out.getvalue()
    assert set(printed) == {"admin@localhost", "sam@vendor.example", "dana@vendor.example"}
    roles = {u.email: u.role for u in User.objects.filter(email__in=printed)}
    assert roles == {"admin@localhost": "admin", "sam@vendor.example": "manager", "dana@vendor.example": "csm"}
    for email, password in printed.items():
        user = User.objects.get(email=email)
        assert user.is_active and user.check_password(password)
        assert user.is_superuser == (user.role == "admin")


def test_it_activates_the_imported_colleague_and_resets_a_password_to_the_one_given(document):
    from .guardrails_support import import_document

    import_document(document)                       # Dana and Sam come in as inactive colleagues
    call_command("demo_logins", "--password", "s3cret-demo", stdout=io.StringIO())
    dana = User.objects.get(email="dana@vendor.example")
    assert dana.is_active and dana.check_password("s3cret-demo")
    assert User.objects.filter(email__iexact="dana@vendor.example").count() == 1


def test_the_login_form_takes_the_e_mail_in_any_case(client):
    call_command("demo_logins", "--password", "s3cret-demo", stdout=io.StringIO())
    page = client.get("/accounts/login/").content.decode()
    assert ">E-mail</label>" in page
    response = client.post("/accounts/login/", {"username": "Dana@Vendor.example", "password": "s3cret-demo"})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user.email == "dana@vendor.example"
    assert client.post("/accounts/login/", {"username": "dana@vendor.example", "password": "nope"}).status_code == 200
