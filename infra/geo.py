"""Coordinates for maps of China: WGS-84 as stored, GCJ-02 for the tile servers that use it.

Phones report WGS-84 (navigator.geolocation) and 天地图 draws in CGCS2000, which agrees with
WGS-84 to well under a metre, so points are stored and shown in WGS-84. Maps made in China
for the public (高德, and most intranet servers copied from it) are drawn in GCJ-02, the
officially offset system: a WGS-84 point drawn on them lands 100–700 m off. The offset is a
published closed formula (the "GCJ-02 transform"); it is only applied inside China, so a
point abroad — or a test point at 0, 0 — keeps its coordinates.
"""

import math

# The Krasovsky 1940 ellipsoid the transform is defined on, not WGS-84's.
_SEMI_MAJOR = 6378245.0
_ECCENTRICITY_SQ = 0.00669342162296594323


def outside_china(lat: float, lng: float) -> bool:
    """The transform's own rough box around China; outside it nothing is offset."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return shift


def _shift_lng(x: float, y: float) -> float:
    shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return shift


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) in WGS-84 → (lat, lng) in GCJ-02; unchanged outside China."""
    if outside_china(lat, lng):
        return lat, lng
    d_lat = _shift_lat(lng - 105.0, lat - 35.0)
    d_lng = _shift_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _ECCENTRICITY_SQ * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_SEMI_MAJOR * (1 - _ECCENTRICITY_SQ)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_SEMI_MAJOR / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng
