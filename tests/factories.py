"""factory-boy factories shared by every app's tests. Users get their role groups via services."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from profiles import services
from profiles.models import AgentProfile, CustomerProfile, Merchant, Skill, Store, Team, User
from profiles.roles import Role

PASSWORD = "pass-12345-word"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, roles: tuple[Role, ...] = (), **kwargs: Any) -> User:
        return services.user_create(
            username=kwargs["username"],
            password=kwargs.pop("password", PASSWORD),
            roles=roles,
            display_name=kwargs.get("display_name", ""),
            phone=kwargs.get("phone", ""),
            email=kwargs.get("email", ""),
            is_superuser=kwargs.get("is_superuser", False),
        )


class MerchantFactory(DjangoModelFactory[Merchant]):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"商家{n}")


class StoreFactory(DjangoModelFactory[Store]):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"旗舰店{n}")
    code = factory.Sequence(lambda n: f"store-{n}")


class SkillFactory(DjangoModelFactory[Skill]):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.Sequence(lambda n: f"技能{n}")


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"团队{n}")


class AgentProfileFactory(DjangoModelFactory[AgentProfile]):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory, roles=(Role.AGENT,))


class CustomerProfileFactory(DjangoModelFactory[CustomerProfile]):
    class Meta:
        model = CustomerProfile

    user = factory.SubFactory(UserFactory, roles=(Role.CUSTOMER,))
    external_id = factory.Sequence(lambda n: f"C{n:06d}")
