"""The 12345 hotline link (settings, mappings, 工单, imports) and a signing secret per webhook."""

import campaigns.models.checklist
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import infra.signing
from django.conf import settings
from django.db import migrations, models


def secrets_each(apps, schema_editor):
    # AddField computes a callable default once for every existing row: each robot gets its own.
    webhook = apps.get_model("campaigns", "UnitWebhook")
    for pk in webhook.objects.values_list("pk", flat=True):
        webhook.objects.filter(pk=pk).update(signing_secret=infra.signing.new_secret())


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0041_offline_capture"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="unitwebhook",
            name="signing_secret",
            field=models.CharField(
                default=infra.signing.new_secret,
                help_text="每条外发消息都带 X-Ledger-Timestamp 和 X-Ledger-Signature 头，接收方用这个密钥核对。",
                max_length=100,
                verbose_name="签名密钥",
            ),
        ),
        migrations.RunPython(secrets_each, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="delivery",
            name="channel",
            field=models.CharField(
                choices=[("email", "电子邮件"), ("webhook", "群机器人"), ("hotline", "12345热线")],
                max_length=12,
                verbose_name="渠道",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="kind",
            field=models.CharField(
                choices=[
                    ("report_reminder", "日报催报"),
                    ("report_missed", "日报未报名单"),
                    ("ticket_due_soon", "工单即将到期"),
                    ("ticket_overdue", "逾期工单汇总"),
                    ("ticket_logged", "新问题待交办"),
                    ("ticket_assigned", "工单交办"),
                    ("ticket_submitted", "整改待核验"),
                    ("ticket_closed", "工单已销号"),
                    ("ticket_returned", "整改被退回"),
                    ("ticket_reopened", "工单反弹重开"),
                    ("ticket_declined", "工单退单"),
                    ("ticket_reassigned", "工单改派"),
                    ("ticket_urged", "工单催办"),
                    ("ticket_escalated", "逾期升级"),
                    ("ticket_extension", "延期申请与审批"),
                    ("ticket_hold", "挂账与恢复整改"),
                    ("ticket_supervised", "挂牌督办"),
                    ("supervision_proposed", "拟挂牌督办"),
                    ("security_alert", "安全告警"),
                    ("hotline_event", "12345热线回传"),
                ],
                max_length=24,
                verbose_name="类型",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("report_reminder", "日报催报"),
                    ("report_missed", "日报未报名单"),
                    ("ticket_due_soon", "工单即将到期"),
                    ("ticket_overdue", "逾期工单汇总"),
                    ("ticket_logged", "新问题待交办"),
                    ("ticket_assigned", "工单交办"),
                    ("ticket_submitted", "整改待核验"),
                    ("ticket_closed", "工单已销号"),
                    ("ticket_returned", "整改被退回"),
                    ("ticket_reopened", "工单反弹重开"),
                    ("ticket_declined", "工单退单"),
                    ("ticket_reassigned", "工单改派"),
                    ("ticket_urged", "工单催办"),
                    ("ticket_escalated", "逾期升级"),
                    ("ticket_extension", "延期申请与审批"),
                    ("ticket_hold", "挂账与恢复整改"),
                    ("ticket_supervised", "挂牌督办"),
                    ("supervision_proposed", "拟挂牌督办"),
                    ("security_alert", "安全告警"),
                    ("hotline_event", "12345热线回传"),
                ],
                max_length=24,
                verbose_name="类型",
            ),
        ),
        migrations.CreateModel(
            name="HotlineImport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "file",
                    models.FileField(
                        max_length=200, upload_to=campaigns.models.checklist.import_upload_to, verbose_name="文件"
                    ),
                ),
                ("original_name", models.CharField(max_length=200, verbose_name="原文件名")),
                (
                    "status",
                    models.CharField(
                        choices=[("preview", "待确认"), ("done", "已导入"), ("refused", "有错误，未导入")],
                        default="preview",
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="上传时间")),
                ("imported_at", models.DateTimeField(blank=True, null=True, verbose_name="导入时间")),
                ("rows_total", models.PositiveIntegerField(default=0, verbose_name="数据行数")),
                ("rows_added", models.PositiveIntegerField(default=0, verbose_name="新增")),
                ("rows_changed", models.PositiveIntegerField(default=0, verbose_name="更新")),
                ("rows_unchanged", models.PositiveIntegerField(default=0, verbose_name="未变")),
                ("error_count", models.PositiveIntegerField(default=0, verbose_name="错误数")),
                (
                    "parsed",
                    models.JSONField(
                        blank=True,
                        editable=False,
                        help_text="上传时从文件读出的各行：再看预览和确认导入都用它，不再重新解析文件。处理完后清空，文件仍保留。",
                        null=True,
                        verbose_name="读取结果",
                    ),
                ),
                (
                    "district",
                    models.ForeignKey(
                        limit_choices_to={"kind": "district"},
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hotline_imports",
                        to="campaigns.orgunit",
                        verbose_name="区",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="上传人",
                    ),
                ),
            ],
            options={
                "verbose_name": "12345热线工单导入",
                "verbose_name_plural": "12345热线工单导入",
                "ordering": ["-uploaded_at", "-id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="HotlineSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "enabled",
                    models.BooleanField(default=False, help_text="关闭时热线推送一律拒收。", verbose_name="启用"),
                ),
                (
                    "default_days",
                    models.PositiveSmallIntegerField(
                        default=5,
                        help_text="工单没有写明办理时限时使用。",
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="默认办理时限（工作日）",
                    ),
                ),
                (
                    "inbound_secret",
                    models.CharField(
                        default=infra.signing.new_secret,
                        help_text="热线推送工单时用它签名（HMAC-SHA256）。请只告诉热线平台的管理员。",
                        max_length=100,
                        verbose_name="推送密钥",
                    ),
                ),
                (
                    "outbound_url",
                    models.URLField(
                        blank=True,
                        help_text="签收、退单、延期和办结回复推送到这个地址；留空则不回传。",
                        max_length=500,
                        validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                        verbose_name="回传地址",
                    ),
                ),
                (
                    "outbound_secret",
                    models.CharField(
                        default=infra.signing.new_secret,
                        help_text="回传消息用它签名，热线平台用它核对。",
                        max_length=100,
                        verbose_name="回传签名密钥",
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        help_text="热线工单登记到哪一个创建/巩固活动的台账。",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.campaign",
                        verbose_name="记入活动",
                    ),
                ),
                (
                    "default_category",
                    models.ForeignKey(
                        blank=True,
                        help_text="诉求类型没有对应关系、也不与本活动的问题类别同名时使用；留空则拒收这样的工单。",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.problemcategory",
                        verbose_name="默认问题类别",
                    ),
                ),
                (
                    "district",
                    models.OneToOneField(
                        limit_choices_to={"kind": "district"},
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hotline_settings",
                        to="campaigns.orgunit",
                        verbose_name="区",
                    ),
                ),
            ],
            options={
                "verbose_name": "12345热线对接",
                "verbose_name_plural": "12345热线对接",
            },
        ),
        migrations.CreateModel(
            name="HotlineOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order_no", models.CharField(max_length=64, verbose_name="工单号")),
                ("called_at", models.DateTimeField(verbose_name="来电时间")),
                ("kind", models.CharField(blank=True, max_length=100, verbose_name="诉求类型")),
                ("content", models.TextField(verbose_name="诉求内容")),
                ("street_name", models.CharField(blank=True, max_length=100, verbose_name="所属街道")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
                ("time_limit_days", models.PositiveSmallIntegerField(verbose_name="办理时限（工作日）")),
                ("due_on", models.DateField(verbose_name="热线办理期限")),
                (
                    "visit_result",
                    models.CharField(
                        blank=True,
                        choices=[("满意", "满意"), ("基本满意", "基本满意"), ("不满意", "不满意")],
                        max_length=8,
                        verbose_name="回访结果",
                    ),
                ),
                ("visit_at", models.DateTimeField(blank=True, null=True, verbose_name="回访记录时间")),
                (
                    "source",
                    models.CharField(
                        choices=[("push", "热线推送"), ("import", "表格导入")], max_length=8, verbose_name="来源"
                    ),
                ),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="接收时间")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="最近更新")),
                ("updates", models.PositiveIntegerField(default=0, verbose_name="更新次数")),
                (
                    "district",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.orgunit",
                        verbose_name="区",
                    ),
                ),
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="hotline",
                        to="campaigns.ticket",
                        verbose_name="整改工单",
                    ),
                ),
            ],
            options={
                "verbose_name": "12345热线工单",
                "verbose_name_plural": "12345热线工单",
                "ordering": ["-called_at", "-id"],
                "indexes": [models.Index(fields=["district", "-called_at"], name="hotline_order_list")],
                "constraints": [models.UniqueConstraint(fields=("district", "order_no"), name="unique_hotline_order")],
            },
        ),
        migrations.CreateModel(
            name="HotlineCategory",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hotline_name", models.CharField(max_length=100, verbose_name="诉求类型")),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="campaigns.problemcategory",
                        verbose_name="问题类别",
                    ),
                ),
                (
                    "settings",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="categories",
                        to="campaigns.hotlinesettings",
                        verbose_name="热线对接",
                    ),
                ),
            ],
            options={
                "verbose_name": "诉求类型对应",
                "verbose_name_plural": "诉求类型对应",
                "constraints": [
                    models.UniqueConstraint(fields=("settings", "hotline_name"), name="unique_hotline_category")
                ],
            },
        ),
        migrations.CreateModel(
            name="HotlineStreet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hotline_name", models.CharField(max_length=100, verbose_name="热线街道名称")),
                (
                    "settings",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="streets",
                        to="campaigns.hotlinesettings",
                        verbose_name="热线对接",
                    ),
                ),
                (
                    "street",
                    models.ForeignKey(
                        limit_choices_to={"kind__in": ("street", "township")},
                        on_delete=django.db.models.deletion.CASCADE,
                        to="campaigns.orgunit",
                        verbose_name="街道/乡镇",
                    ),
                ),
            ],
            options={
                "verbose_name": "街道对应",
                "verbose_name_plural": "街道对应",
                "constraints": [
                    models.UniqueConstraint(fields=("settings", "hotline_name"), name="unique_hotline_street")
                ],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("login", "登录"),
                    ("login_failed", "登录失败"),
                    ("logout", "退出"),
                    ("idle_logout", "超时退出"),
                    ("lockout", "账号锁定"),
                    ("unlock", "解除锁定"),
                    ("second_factor", "动态口令"),
                    ("password_change", "修改密码"),
                    ("password_reset", "重置密码"),
                    ("account_create", "新建账号"),
                    ("account_change", "账号变更"),
                    ("role_change", "角色权限变更"),
                    ("settings_change", "设置变更"),
                    ("export", "导出"),
                    ("download", "下载"),
                    ("close_out", "核验销号"),
                    ("sso_refused", "统一身份认证被拒"),
                    ("sso_link", "统一身份认证关联"),
                    ("ticket_merge", "合并重复问题"),
                    ("api_token_create", "创建接口令牌"),
                    ("api_token_revoke", "吊销接口令牌"),
                    ("integration", "外部系统对接"),
                ],
                max_length=20,
                verbose_name="事件",
            ),
        ),
    ]
