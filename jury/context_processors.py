from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from .models import Jure


def cle_jure(user_id):
    return f"jury:est-jure:{user_id}"


def jury(request):
    """``est_jure``: whether the signed-in user sits on a jury, for the navigation. Read from the
    cache (cleared when an invitation is accepted), evaluated only if a template asks."""

    def est_jure():
        user = request.user
        if not user.is_authenticated:
            return False
        value = cache.get(cle_jure(user.pk))
        if value is None:
            value = Jure.objects.filter(user=user, accepted_at__isnull=False).exists()
            cache.set(cle_jure(user.pk), value, 300)
        return value

    return {"est_jure": SimpleLazyObject(est_jure)}
