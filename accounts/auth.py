"""Log in with the e-mail address (any case) — or the username, for an admin created without one."""

from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = (User.objects.filter(email__iexact=username.strip()).order_by("pk").first()
                or User.objects.filter(username=username.strip()).first())
        if user is None:
            User().set_password(password)     # the same work as a real check: no timing difference
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
