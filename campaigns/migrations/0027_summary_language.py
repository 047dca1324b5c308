"""The language a monthly summary was asked for in (its workbook is written in it; earlier ones
were all written in 简体中文), and an account without a language reads 简体中文."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0026_next_recheck_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="monthlysummary",
            name="language",
            field=models.CharField(
                choices=[("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")],
                default="zh-hans",
                help_text="申请生成时的界面语言；Excel 文件用这种语言写。",
                max_length=10,
                verbose_name="语言",
            ),
        ),
        migrations.AlterField(
            model_name="accountprofile",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")],
                help_text="登录后界面使用的语言；留空时使用简体中文（不随浏览器的语言设置变化）。",
                max_length=10,
                verbose_name="界面语言",
            ),
        ),
    ]
