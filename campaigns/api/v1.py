"""/api/v1/: django-ninja, its OpenAPI 3 schema at /api/v1/openapi.json."""

from ninja import NinjaAPI

from . import acts, reference, tickets
from .common import TokenAuth, TokenThrottle, install_errors

api = NinjaAPI(
    title="创卫台账 API",
    version="1.0.0",
    description=(
        "区创卫办台账的接口：问题台账、点位、单位、问题类别、日报和作战图数字（读），登记问题和令牌"
        "对接账号的角色允许的操作（写）。令牌由区、市创卫办管理员在“接口令牌”页创建，放在 "
        '`Authorization: Bearer …` 头里。错误都是 {"detail": "中文说明", "code": "…"}。'
    ),
    auth=TokenAuth(),
    throttle=TokenThrottle(),
    urls_namespace="api-v1",
    docs_url=None,  # the docs page is the ledger's own, from vendored assets (campaigns/views/api_tokens.py)
)
install_errors(api)
api.add_router("/tickets", tickets.router)
api.add_router("/tickets", acts.router)  # the acts on one ticket, beside it in the schema
api.add_router("/photos", tickets.photos_router)
api.add_router("/", reference.router)
