"""The shape of the benchmark province."""

import datetime

BENCH_PASSWORD = "Bench@2026"  # nosec B105 # benchmark accounts
CITIES = [
    ("吉林市", "JL", [("船营区", "CY"), ("昌邑区", "CH"), ("龙潭区", "LT"), ("丰满区", "FM"), ("高新区", "GX")]),
    ("通化市", "TH", [("东昌区", "DC"), ("二道江区", "ED"), ("梅河口市", "MH"), ("集安市", "JA"), ("柳河县", "LH")]),
]
# The busiest district carries a third of the load; its last full month is the big one.
DISTRICT_WEIGHTS = [0.35, 0.1, 0.08, 0.07, 0.05, 0.1, 0.08, 0.07, 0.05, 0.05]
DEPARTMENTS = ["区卫健局", "区执法局", "区民政局", "区环卫处", "区市场监管局", "区教育局", "区住建局", "区交通局"]
DESCRIPTIONS = [
    "垃圾桶满溢，周边散落生活垃圾",
    "背街小巷堆放杂物，有卫生死角",
    "墙面张贴小广告",
    "商户占道经营",
    "餐饮店后厨未安装挡鼠板",
    "工地围挡破损，渣土未覆盖",
    "公厕有异味，设施损坏",
    "非机动车乱停乱放",
    "绿化带内有垃圾",
    "积水容器有蚊虫孳生",
]
NOW_SLACK = datetime.timedelta(minutes=5)
