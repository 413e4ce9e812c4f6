import pytest
import time_machine

from .api_support import NOW, bearer, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    with time_machine.travel(NOW, tick=False):
        yield build_world(cast)


def test_smoke(world, client):
    h = bearer(world["tokens"]["csm"])
    for url in ["/api/v1/me/", "/api/v1/accounts/", f"/api/v1/accounts/{world['mine']['account'].pk}/",
                "/api/v1/contacts/", "/api/v1/interactions/", "/api/v1/touchpoints/", "/api/v1/org-changes/",
                "/api/v1/alerts/", "/api/v1/portfolio/metrics/", f"/api/v1/contacts/{world['mine']['contact'].pk}/history/",
                f"/api/v1/accounts/{world['mine']['account'].pk}/report/"]:
        r = client.get(url, **h)
        print(url, r.status_code, str(r.json())[:600])
        assert r.status_code == 200
