"""Where a district's map gets its tiles (底图), chosen by the district's admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit, UnitKind


class TileSource(models.TextChoices):
    NONE = "none", _("不使用底图")
    TIANDITU = "tianditu", _("天地图（需要天地图密钥）")
    INTRANET = "intranet", _("内网瓦片服务")


class CoordinateSystem(models.TextChoices):
    # 天地图 draws in CGCS2000, which agrees with WGS-84 to well under a metre.
    WGS84 = "wgs84", _("WGS-84 / CGCS2000（天地图、GPS）")
    GCJ02 = "gcj02", _("GCJ-02（高德、腾讯等“火星坐标”）")


class MapSettings(models.Model):
    """One row per district. Points are stored in WGS-84 whatever the tile source; the map
    converts them to the source's coordinate system when it draws them."""

    district = models.OneToOneField(
        OrgUnit,
        verbose_name=_("区"),
        on_delete=models.PROTECT,
        related_name="map_settings",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    source = models.CharField(
        _("底图来源"),
        max_length=10,
        choices=TileSource.choices,
        default=TileSource.NONE,
        help_text=_("很多区的内网不能访问互联网：请选内网瓦片服务，或不使用底图（只显示点位和街道名称）。"),
    )
    tianditu_key = models.CharField(
        _("天地图密钥（tk）"),
        max_length=64,
        blank=True,
        help_text=_("在天地图开放平台申请的浏览器端密钥，并在那里把本系统的域名加入白名单。"),
    )
    tile_url = models.CharField(
        _("瓦片地址模板"),
        max_length=300,
        blank=True,
        help_text=_(
            "内网瓦片服务的地址，含 {z}、{x}、{y}，可含 {s}（子域名），如：http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"
        ),
    )
    subdomains = models.CharField(
        _("子域名"), max_length=20, blank=True, help_text=_("地址含 {s} 时依次替换的字符，如 1234；不含 {s} 时留空。")
    )
    coordinate_system = models.CharField(
        _("瓦片坐标系"),
        max_length=8,
        choices=CoordinateSystem.choices,
        default=CoordinateSystem.WGS84,
        help_text=_("内网瓦片是从高德等国内地图复制的，通常是 GCJ-02；不确定时请问提供瓦片的单位。"),
    )
    max_zoom = models.PositiveSmallIntegerField(
        _("最大缩放级别"), default=18, help_text=_("瓦片服务提供的最大级别，通常为 18。")
    )
    attribution = models.CharField(
        _("版权说明"), max_length=120, blank=True, help_text=_("显示在地图右下角，如：底图 © 某某测绘院。")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("地图设置")
        verbose_name_plural = _("地图设置")

    def __str__(self):
        return str(_("地图设置"))

    @property
    def draws_in(self) -> str:
        """The coordinate system the tiles are drawn in (天地图's is WGS-84's twin)."""
        if self.source == TileSource.INTRANET:
            return self.coordinate_system
        return CoordinateSystem.WGS84
