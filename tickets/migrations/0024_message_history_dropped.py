# Messages and attachments are append-only: their history tables only copied every row (issue 20, storage).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0023_side_conversation_verbose_names'),
    ]

    operations = [
        migrations.DeleteModel(name='HistoricalTicketAttachment'),
        migrations.DeleteModel(name='HistoricalTicketMessage'),
    ]
