import io

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_creates_a_superuser_and_prints_a_working_login():
    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    password = out.getvalue().split("admin  /  ")[1].split()[0]
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.role == "admin"
    assert user.check_password(password)


def test_running_it_again_resets_the_password_to_the_one_given():
    call_command("demo_admin", stdout=io.StringIO())
    call_command("demo_admin", "--password", "s3cret-demo", stdout=io.StringIO())
    assert User.objects.filter(username="admin").count() == 1
    assert User.objects.get(username="admin").check_password("s3cret-demo")
