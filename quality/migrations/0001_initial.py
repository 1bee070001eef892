"""The QA models move here from reports without touching a row.

The tables keep the names reports gave them (reports/migrations/0005_quality.py, 0007's history tables), so
this migration only tells Django's state that quality owns them (SeparateDatabaseAndState: nothing runs on
the database) and relabels their content types, which keeps every permission, role grant, admin log entry
and object permission pointing at them. reports/migrations/0010_quality_moved_out.py drops them from
reports' state afterwards.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED = ["scorecard", "criterion", "review", "criterionscore",
         "historicalscorecard", "historicalcriterion", "historicalreview", "historicalcriterionscore"]


def _relabel(apps, from_label, to_label):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label=from_label, model__in=MOVED).update(app_label=to_label)
    content_type.objects.clear_cache()


def content_types_to_quality(apps, schema_editor):
    _relabel(apps, "reports", "quality")


def content_types_to_reports(apps, schema_editor):
    _relabel(apps, "quality", "reports")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('reports', '0009_quality_verbose_names'),
        ('chat', '0005_team_assignment_skills_language'),
        ('tickets', '0018_default_automations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Criterion',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('label', models.CharField(max_length=200, verbose_name='label')),
                    ('weight', models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1)], verbose_name='weight')),
                    ('max_points', models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1)], verbose_name='maximum points')),
                    ('critical', models.BooleanField(default=False, verbose_name='critical')),
                    ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ],
                options={
                    'verbose_name': 'QA criterion',
                    'verbose_name_plural': 'QA criteria',
                    'db_table': 'reports_criterion',
                    'ordering': ['position', 'pk'],
                },
            ),
            migrations.CreateModel(
                name='Scorecard',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                    ('active', models.BooleanField(default=True, verbose_name='active')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ],
                options={
                    'verbose_name': 'QA scorecard',
                    'verbose_name_plural': 'QA scorecards',
                    'db_table': 'reports_scorecard',
                },
            ),
            migrations.CreateModel(
                name='HistoricalScorecard',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('name', models.CharField(db_index=True, max_length=100, verbose_name='name')),
                    ('active', models.BooleanField(default=True, verbose_name='active')),
                    ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'historical QA scorecard',
                    'verbose_name_plural': 'historical QA scorecards',
                    'db_table': 'reports_historicalscorecard',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.CreateModel(
                name='Review',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('sample_reason', models.CharField(choices=[('random', 'Random share'), ('low_satisfaction', 'Low satisfaction'), ('escalated', 'Escalated')], max_length=20, verbose_name='sampled because')),
                    ('status', models.CharField(choices=[('pending', 'Waiting for QA'), ('scored', 'Scored'), ('appealed', 'Appealed'), ('upheld', 'Appeal upheld'), ('rejected', 'Appeal rejected')], default='pending', max_length=10, verbose_name='status')),
                    ('score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='score')),
                    ('original_score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='score before appeal')),
                    ('comment', models.TextField(blank=True, max_length=2000, verbose_name='comment')),
                    ('scored_at', models.DateTimeField(blank=True, null=True, verbose_name='scored')),
                    ('appeal_reason', models.TextField(blank=True, max_length=1000, verbose_name='appeal reason')),
                    ('appeal_response', models.TextField(blank=True, max_length=1000, verbose_name='appeal response')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='sampled')),
                    ('agent', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='qa_reviews', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                    ('conversation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='chat.conversation', verbose_name='chat')),
                    ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewer')),
                    ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket', verbose_name='ticket')),
                    ('scorecard', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='quality.scorecard', verbose_name='scorecard')),
                ],
                options={
                    'verbose_name': 'QA review',
                    'verbose_name_plural': 'QA reviews',
                    'db_table': 'reports_review',
                    'permissions': [('score_review', 'Can sample and score conversations')],
                },
            ),
            migrations.CreateModel(
                name='HistoricalCriterionScore',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('points', models.PositiveSmallIntegerField(verbose_name='points')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('criterion', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quality.criterion', verbose_name='criterion')),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quality.review', verbose_name='review')),
                ],
                options={
                    'verbose_name': 'historical criterion score',
                    'verbose_name_plural': 'historical criterion scores',
                    'db_table': 'reports_historicalcriterionscore',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.CreateModel(
                name='HistoricalReview',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('sample_reason', models.CharField(choices=[('random', 'Random share'), ('low_satisfaction', 'Low satisfaction'), ('escalated', 'Escalated')], max_length=20, verbose_name='sampled because')),
                    ('status', models.CharField(choices=[('pending', 'Waiting for QA'), ('scored', 'Scored'), ('appealed', 'Appealed'), ('upheld', 'Appeal upheld'), ('rejected', 'Appeal rejected')], default='pending', max_length=10, verbose_name='status')),
                    ('score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='score')),
                    ('original_score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='score before appeal')),
                    ('comment', models.TextField(blank=True, max_length=2000, verbose_name='comment')),
                    ('scored_at', models.DateTimeField(blank=True, null=True, verbose_name='scored')),
                    ('appeal_reason', models.TextField(blank=True, max_length=1000, verbose_name='appeal reason')),
                    ('appeal_response', models.TextField(blank=True, max_length=1000, verbose_name='appeal response')),
                    ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='sampled')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('agent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                    ('conversation', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='chat.conversation', verbose_name='chat')),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('reviewer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewer')),
                    ('ticket', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tickets.ticket', verbose_name='ticket')),
                    ('scorecard', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quality.scorecard', verbose_name='scorecard')),
                ],
                options={
                    'verbose_name': 'historical QA review',
                    'verbose_name_plural': 'historical QA reviews',
                    'db_table': 'reports_historicalreview',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.CreateModel(
                name='HistoricalCriterion',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('label', models.CharField(max_length=200, verbose_name='label')),
                    ('weight', models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1)], verbose_name='weight')),
                    ('max_points', models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1)], verbose_name='maximum points')),
                    ('critical', models.BooleanField(default=False, verbose_name='critical')),
                    ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('scorecard', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quality.scorecard', verbose_name='scorecard')),
                ],
                options={
                    'verbose_name': 'historical QA criterion',
                    'verbose_name_plural': 'historical QA criteria',
                    'db_table': 'reports_historicalcriterion',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.AddField(
                model_name='criterion',
                name='scorecard',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='criteria', to='quality.scorecard', verbose_name='scorecard'),
            ),
            migrations.CreateModel(
                name='CriterionScore',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('points', models.PositiveSmallIntegerField(verbose_name='points')),
                    ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='quality.criterion', verbose_name='criterion')),
                    ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='quality.review', verbose_name='review')),
                ],
                options={
                    'verbose_name': 'criterion score',
                    'verbose_name_plural': 'criterion scores',
                    'db_table': 'reports_criterionscore',
                    'constraints': [models.UniqueConstraint(fields=('review', 'criterion'), name='qa_score_once_per_criterion')],
                },
            ),
            migrations.AddIndex(
                model_name='review',
                index=models.Index(fields=['status', 'id'], name='qa_review_queue_idx'),
            ),
            migrations.AddIndex(
                model_name='review',
                index=models.Index(fields=['agent', '-scored_at'], name='qa_review_agent_idx'),
            ),
            migrations.AddConstraint(
                model_name='review',
                constraint=models.CheckConstraint(condition=models.Q(models.Q(('conversation__isnull', True), ('ticket__isnull', False)), models.Q(('conversation__isnull', False), ('ticket__isnull', True)), _connector='OR'), name='qa_review_one_target'),
            ),
            migrations.AddConstraint(
                model_name='review',
                constraint=models.UniqueConstraint(condition=models.Q(('ticket__isnull', False)), fields=('ticket',), name='qa_review_unique_ticket'),
            ),
            migrations.AddConstraint(
                model_name='review',
                constraint=models.UniqueConstraint(condition=models.Q(('conversation__isnull', False)), fields=('conversation',), name='qa_review_unique_chat'),
            ),
            migrations.AddConstraint(
                model_name='review',
                constraint=models.CheckConstraint(condition=models.Q(('score__isnull', True), models.Q(('score__gte', 0), ('score__lte', 100)), _connector='OR'), name='qa_review_score_0_100'),
            ),
            migrations.AddConstraint(
                model_name='criterion',
                constraint=models.CheckConstraint(condition=models.Q(('weight__gte', 1)), name='qa_criterion_weight_positive'),
            ),
            migrations.AddConstraint(
                model_name='criterion',
                constraint=models.CheckConstraint(condition=models.Q(('max_points__gte', 1)), name='qa_criterion_max_points_positive'),
            ),
        ], database_operations=[]),
        migrations.RunPython(content_types_to_quality, content_types_to_reports),
    ]
