from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from profiles import demo_data, services
from profiles.models import User
from profiles.roles import Role


class Command(BaseCommand):
    help = "Load the demo marketplace (merchants, agents, customers, staff). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true",
            help="Load even with DEBUG off. Demo logins share one known password: never on a real site.",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: demo accounts share a published password. "
                "Pass --force if this really is a demo installation."
            )
        with transaction.atomic():
            created = self._seed()
            self._seed_other_apps()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new user(s))."))
        self._print_logins()

    def _seed(self) -> int:
        created_users: list[bool] = []
        demo_password_hash = make_password(demo_data.DEMO_PASSWORD)  # hashed once: every demo login shares it

        def ensure_user(username: str, name: str, roles: tuple[Role, ...], **extra: Any) -> User:
            user, created = services.user_ensure(
                username=username, password=None, password_hash=demo_password_hash, roles=roles, display_name=name,
                **extra,
            )
            created_users.append(created)
            return user

        for store_data in demo_data.STORES:
            merchant = services.merchant_ensure(name=store_data.merchant)
            store = services.store_ensure(merchant=merchant, code=store_data.code, name=store_data.name)
            staff = ensure_user(store_data.staff_username, store_data.staff_name, (Role.MERCHANT_STAFF,))
            services.store_add_staff(store=store, user=staff)

        skills = {code: services.skill_ensure(code=code, name=name) for code, name in demo_data.SKILLS.items()}
        teams = {name: services.team_ensure(name=name, description=text) for name, text in demo_data.TEAMS.items()}
        for agent in demo_data.AGENTS:
            user = ensure_user(agent.username, agent.name, (Role.AGENT,))
            services.agent_profile_set(
                user=user, skills=[skills[code] for code in agent.skills], teams=[teams[agent.team]],
                capacity=agent.capacity,
            )
        ensure_user(*demo_data.SUPERVISOR, (Role.SUPERVISOR,))
        ensure_user(*demo_data.QA, (Role.QA,))
        ensure_user(*demo_data.ADMIN, (Role.ADMIN,), is_superuser=True)

        for number, customer in enumerate(demo_data.CUSTOMERS, start=1):
            user = ensure_user(
                demo_data.customer_username(number), customer.name, (Role.CUSTOMER,),
                phone=customer.phone, email=customer.email,
            )
            services.customer_profile_set(
                user=user, external_id=demo_data.customer_external_id(number), vip_level=customer.vip_level,
                tags=list(customer.tags), address=customer.address, id_number=customer.id_number,
            )
        return sum(created_users)

    def _seed_other_apps(self) -> None:
        # Apps above profiles (tickets, chat, after-sales, knowledge) bring their own demo data by
        # defining `seed_demo(stdout)` on their AppConfig; profiles may not import them. They run in
        # INSTALLED_APPS order, so each may rely on the data of the apps it imports, and each must be
        # idempotent like this command.
        for app_config in apps.get_app_configs():
            seed = getattr(app_config, "seed_demo", None)
            if callable(seed):
                seed(self.stdout)

    def _print_logins(self) -> None:
        customers = f"{demo_data.customer_username(1)} … {demo_data.customer_username(len(demo_data.CUSTOMERS))}"
        agents = f"{demo_data.AGENTS[0].username} … {demo_data.AGENTS[-1].username}"
        staff = ", ".join(store.staff_username for store in demo_data.STORES)
        lines = [
            "Demo logins (password for all: " + demo_data.DEMO_PASSWORD + "):",
            f"  customers:      {customers}",
            f"  agents:         {agents}",
            f"  supervisor:     {demo_data.SUPERVISOR[0]}",
            f"  QA:             {demo_data.QA[0]}",
            f"  administrator:  {demo_data.ADMIN[0]}  (superuser, /admin/)",
            f"  merchant staff: {staff}",
        ]
        self.stdout.write("\n".join(lines))
