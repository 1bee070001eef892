"""The QA models now belong to the quality app (quality/migrations/0001_initial.py): drop them from reports'
state only. Their tables stay, with their rows, under the same names; quality owns them now."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0009_quality_verbose_names'),
        ('quality', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='criterionscore',
                name='criterion',
            ),
            migrations.RemoveField(
                model_name='historicalcriterionscore',
                name='criterion',
            ),
            migrations.RemoveField(
                model_name='criterionscore',
                name='review',
            ),
            migrations.RemoveField(
                model_name='historicalcriterion',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='historicalcriterion',
                name='scorecard',
            ),
            migrations.RemoveField(
                model_name='historicalcriterionscore',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='historicalcriterionscore',
                name='review',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='agent',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='conversation',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='reviewer',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='scorecard',
            ),
            migrations.RemoveField(
                model_name='historicalreview',
                name='ticket',
            ),
            migrations.RemoveField(
                model_name='historicalscorecard',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='review',
                name='agent',
            ),
            migrations.RemoveField(
                model_name='review',
                name='conversation',
            ),
            migrations.RemoveField(
                model_name='review',
                name='reviewer',
            ),
            migrations.RemoveField(
                model_name='review',
                name='scorecard',
            ),
            migrations.RemoveField(
                model_name='review',
                name='ticket',
            ),
            migrations.DeleteModel(
                name='Criterion',
            ),
            migrations.DeleteModel(
                name='CriterionScore',
            ),
            migrations.DeleteModel(
                name='HistoricalCriterion',
            ),
            migrations.DeleteModel(
                name='HistoricalCriterionScore',
            ),
            migrations.DeleteModel(
                name='HistoricalReview',
            ),
            migrations.DeleteModel(
                name='HistoricalScorecard',
            ),
            migrations.DeleteModel(
                name='Scorecard',
            ),
            migrations.DeleteModel(
                name='Review',
            ),
        ], database_operations=[]),
    ]
