"""The district's map settings (底图), and a point's place sent from a phone standing at it."""

import re
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import MapSettings, TileSource
from campaigns.policy import LOCATION_ACCURACY_LIMIT_M
from campaigns.services.maps import SETTINGS_FIELDS

# 天地图 keys are 32 hex digits today; a little room either way, nothing that could break a URL.
TIANDITU_KEY = re.compile(r"^[A-Za-z0-9]{16,64}$")
# What a tile URL template may hold besides its placeholders: no quotes, spaces or brackets
# that could end the attribute or the policy it is written into.
TILE_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#@!$&*+,;=%{}]+$")
MICRO_DEGREE = Decimal("0.000001")


class MapSettingsForm(forms.ModelForm):
    class Meta:
        model = MapSettings
        fields = list(SETTINGS_FIELDS)
        widgets = {"source": forms.RadioSelect}

    def clean_tianditu_key(self):
        return self.cleaned_data["tianditu_key"].strip()

    def clean_tile_url(self):
        return self.cleaned_data["tile_url"].strip()

    def clean_subdomains(self):
        value = "".join(self.cleaned_data["subdomains"].split())
        if value and not value.isalnum():
            raise forms.ValidationError(_("子域名只能是字母或数字，如 1234 或 abc。"))
        return value

    def clean_max_zoom(self):
        value = self.cleaned_data["max_zoom"]
        if not 1 <= value <= 22:
            raise forms.ValidationError(_("最大缩放级别应在 1 到 22 之间。"))
        return value

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == TileSource.TIANDITU:
            key = data.get("tianditu_key", "")
            if not key:
                self.add_error("tianditu_key", _("使用天地图需要填写天地图密钥。"))
            elif not TIANDITU_KEY.match(key):
                self.add_error("tianditu_key", _("天地图密钥应是 16 到 64 位字母或数字。"))
        if source == TileSource.INTRANET:
            self._check_tile_url(data.get("tile_url", ""), data.get("subdomains", ""))
        return data

    def _check_tile_url(self, url, subdomains):
        if not url:
            self.add_error("tile_url", _("使用内网瓦片服务需要填写瓦片地址模板。"))
            return
        parts = urlsplit(url.replace("{s}", "s"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.add_error("tile_url", _("瓦片地址应以 http:// 或 https:// 开头，并写明服务器地址。"))
        elif not TILE_URL_CHARS.match(url) or "@" in parts.netloc:
            self.add_error("tile_url", _("瓦片地址含有不允许的字符（空格、引号、尖括号或账号密码）。"))
        elif not all(part in url for part in ("{z}", "{x}", "{y}")):
            self.add_error("tile_url", _("瓦片地址必须含有 {z}、{x} 和 {y}。"))
        elif ("{s}" in url) != bool(subdomains):
            self.add_error("subdomains", _("地址含 {s} 时要填子域名；不含 {s} 时请留空。"))


class PointLocateForm(forms.Form):
    """What the phone reported: WGS-84 degrees and its accuracy radius in metres."""

    latitude = forms.DecimalField(min_value=-90, max_value=90)
    longitude = forms.DecimalField(min_value=-180, max_value=180)
    accuracy = forms.FloatField(min_value=0)

    def clean_latitude(self):
        return self.cleaned_data["latitude"].quantize(MICRO_DEGREE, rounding=ROUND_HALF_UP)

    def clean_longitude(self):
        return self.cleaned_data["longitude"].quantize(MICRO_DEGREE, rounding=ROUND_HALF_UP)

    def clean_accuracy(self):
        accuracy = self.cleaned_data["accuracy"]
        if accuracy > LOCATION_ACCURACY_LIMIT_M:
            raise forms.ValidationError(
                _(
                    "手机报告的定位精度约 %(accuracy)s 米，超过 %(limit)s 米，不能用来设置点位位置。"
                    "请到室外开阔处，打开手机的 GPS（精确位置），稍等片刻再试。"
                ),
                params={"accuracy": round(accuracy), "limit": LOCATION_ACCURACY_LIMIT_M},
                code="inaccurate",
            )
        return round(accuracy)
