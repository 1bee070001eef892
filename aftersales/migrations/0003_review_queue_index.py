from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0002_beat_schedule"),
        ("profiles", "0003_presence_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="aftersalesrequest", name="aftersales_store_queue_idx"),
        migrations.AddIndex(
            model_name="aftersalesrequest",
            index=models.Index(
                condition=models.Q(("status", "merchant_review")), fields=["store", "due_at", "id"],
                name="aftersales_store_review_idx",
            ),
        ),
    ]
