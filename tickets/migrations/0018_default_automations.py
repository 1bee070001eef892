# ruff: noqa: RUF001  (Chinese copy uses full-width punctuation)
"""The automations every desk starts with (issue 23): remind after 48 h pending, close 7 days after solved,
raise an untouched VIP ticket after one business hour. Supervisors edit or switch them off in admin."""

from typing import Any

from django.db import migrations

DEFAULTS = [
    {
        "macro": "自动提醒：待客户回复 48 小时",
        "steps": [("reply", {"text": "{{ customer.name }} 您好，我们在 48 小时前回复了您的工单 {{ ticket.number }}，"
                                     "请问问题是否已经解决？如仍需帮助，请直接回复本消息。"})],
        "rule": {"name": "待回复 48 小时提醒客户", "statuses": ["pending"], "anchor": "sla_paused_at", "hours": 48,
                 "confirmed_broad": True, "position": 1},
    },
    {
        "macro": "自动关闭：已解决 7 天",
        "steps": [("status", {"status": "closed"})],
        "rule": {"name": "已解决 7 天自动关闭", "statuses": ["solved"], "anchor": "solved_at", "hours": 7 * 24,
                 "confirmed_broad": True, "position": 2},
    },
    {
        "macro": "自动升级：VIP 工单 1 个工作小时未处理",
        "steps": [("priority", {"priority": "urgent"}),
                  ("note", {"text": "VIP 客户的工单 1 个工作小时内无人回复，已自动提升为紧急。"})],
        "rule": {"name": "VIP 工单 1 工作小时未处理升级", "statuses": ["new", "open"], "anchor": "created_at",
                 "hours": 1, "business_hours": True, "vip_only": True, "untouched": True, "notify_team": True,
                 "position": 3},
    },
]


def create(apps: Any, schema_editor: Any) -> None:
    macro_model = apps.get_model("tickets", "Macro")
    action_model = apps.get_model("tickets", "MacroAction")
    automation_model = apps.get_model("tickets", "Automation")
    for default in DEFAULTS:
        if automation_model.objects.filter(name=default["rule"]["name"]).exists():
            continue
        macro = macro_model.objects.create(title=default["macro"])
        for position, (kind, values) in enumerate(default["steps"]):
            action_model.objects.create(macro=macro, position=position, kind=kind, **values)
        automation_model.objects.create(macro=macro, **default["rule"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_automations")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
