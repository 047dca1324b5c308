"""What the demo's problems say, per problem category: where each is found, how it is described
and how it was put right — so a 公厕 ticket speaks of the toilet, not of wall adverts.

Categories are the national standard's (campaigns/data/sanitary_standard.json). `at` names the
point types it is found at by a word of their names (主次干道, 农贸市场 …); a description that
fits only some of those says where. `on_street` problems may also be logged at a plain street
address, without a point. tests/test_seed_demo.py checks every seeded ticket against this table.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    at: tuple[str, ...]
    descriptions: tuple[str | tuple[str, tuple[str, ...]], ...]
    fixes: tuple[str, ...]
    on_street: bool = False

    def fits(self, point_type: str) -> bool:
        return any(word in point_type for word in self.at)

    def descriptions_for(self, point_type: str | None) -> list[str]:
        """The descriptions of this problem at a point of `point_type` (None: a street address)."""
        if point_type is None:
            if not self.on_street:
                return []
            return [text for text in self.descriptions if isinstance(text, str)]
        if not self.fits(point_type):
            return []
        return [
            text if isinstance(text, str) else text[0]
            for text in self.descriptions
            if isinstance(text, str) or any(word in point_type for word in text[1])
        ]


STREET_SIDE = ("主次干道", "背街小巷", "城中村", "老旧小区")

PROBLEMS = {
    "垃圾暴露/散落、垃圾满溢、未日产日清": Problem(
        at=(*STREET_SIDE, "农贸市场", "垃圾中转站", "公园", "车站", "学校"),
        descriptions=(
            "垃圾桶满溢，周边散落生活垃圾未及时清运",
            "地面散落垃圾，未做到日产日清",
            ("垃圾收集点周边散落垃圾未及时清运，有异味。", ("垃圾中转站",)),
            ("农贸市场周边垃圾乱堆乱放，屡清屡现。", ("农贸市场",)),
        ),
        fixes=("已完成清运，增加垃圾清运频次。", "已组织人员清理完毕，安排专人每日巡查。"),
        on_street=True,
    ),
    "垃圾容器未加盖、破损、不密闭或配置不足": Problem(
        at=("主次干道", "老旧小区", "城中村", "农贸市场", "垃圾中转站", "公园"),
        descriptions=("垃圾桶破损、未加盖，垃圾外露", "垃圾收集容器数量不足，垃圾溢出桶外"),
        fixes=("已更换破损垃圾桶并加盖，增配收集容器。",),
        on_street=True,
    ),
    "乱堆乱放（乱堆乱摆）": Problem(
        at=(*STREET_SIDE, "农贸市场", "单位食堂"),
        descriptions=(
            "杂物、废品乱堆乱放，影响环境卫生",
            ("沿街商户门前乱堆杂物，占用人行道。", ("主次干道", "背街小巷")),
            ("楼道口堆放废旧家具和纸箱，影响通行", ("老旧小区",)),
            ("小区楼道堆放杂物，存在消防隐患。", ("老旧小区",)),
        ),
        fixes=("已清理堆放的杂物，并告知商户和住户不得再堆放。",),
        on_street=True,
    ),
    "乱搭乱建": Problem(
        at=("背街小巷", "城中村", "老旧小区", "建筑工地"),
        descriptions=(
            "违规搭建简易棚房堆放杂物",
            ("背街小巷私搭乱建雨棚，影响市容。", ("背街小巷",)),
        ),
        fixes=("已拆除违规搭建，恢复原貌。",),
        on_street=True,
    ),
    "乱贴乱画/“牛皮癣”小广告": Problem(
        at=(*STREET_SIDE, "车站", "学校"),
        descriptions=(
            "墙面张贴大量“牛皮癣”小广告",
            "墙体张贴小广告，乱涂乱画。",
            "电线杆、配电箱上小广告未清理",
            ("居民区外墙乱贴乱画。", ("老旧小区",)),
        ),
        fixes=("已铲除小广告并粉刷墙面，纳入日常巡查。",),
        on_street=True,
    ),
    "乱停乱放": Problem(
        at=("主次干道", "老旧小区", "农贸市场", "车站", "商场", "学校"),
        descriptions=(
            "非机动车乱停乱放，堵塞通道",
            "机动车占用人行道停放，影响通行",
            "共享单车堆放无序，占用盲道",
        ),
        fixes=("已清理乱停车辆，施划停车线并安排专人引导。",),
        on_street=True,
    ),
    "乱扔乱倒、乱泼乱倒、乱拉乱挂（“十乱”）": Problem(
        at=("主次干道", "背街小巷", "城中村", "河道"),
        descriptions=(
            ("沿街乱拉乱挂横幅、晾晒衣物", ("主次干道", "背街小巷", "城中村")),
            ("路面有泼洒的污水和油渍", ("主次干道", "背街小巷", "城中村")),
            ("河道沿岸违规倾倒建筑垃圾。", ("河道",)),
        ),
        fixes=("已清理完毕，并在显著位置设置警示牌。",),
    ),
    "占道经营、店外经营": Problem(
        at=("主次干道", "背街小巷", "农贸市场", "车站", "餐饮店", "学校"),
        descriptions=(
            "商户占道经营，货物摆到人行道上",
            "流动摊贩占道经营，影响通行",
            ("早市占道经营，散落垃圾无人清扫。", ("主次干道", "背街小巷", "农贸市场")),
        ),
        fixes=("已劝离占道摊贩，商户退回店内经营，并签订门前三包责任书。",),
        on_street=True,
    ),
    "卫生死角、保洁不到位": Problem(
        at=(*STREET_SIDE, "公园", "车站"),
        descriptions=(
            "角落积存垃圾和落叶，保洁不到位",
            "街巷路面油污，清洗不彻底。",
            ("背街小巷有卫生死角，积存建筑垃圾", ("背街小巷",)),
            ("人行道路面破损、坑洼积水，行人通行不便。", ("主次干道", "背街小巷")),
        ),
        fixes=("已彻底清扫并冲洗路面，增加保洁频次。",),
        on_street=True,
    ),
    "积水、易涝点、容器积水致蚊虫孳生": Problem(
        at=("老旧小区", "城中村", "建筑工地", "公园", "废品收购站"),
        descriptions=(
            "废弃容器积水，发现蚊幼虫",
            ("废旧轮胎和容器积水，有蚊虫孳生", ("废品收购站", "城中村")),
            ("花盆底座积水，有蚊虫孳生", ("老旧小区",)),
        ),
        fixes=("已清除积水容器、翻盆倒罐，并投放灭蚊药物。",),
    ),
    "鼠迹、鼠粪、活鼠，蟑螂/蟑迹，室内有蝇": Problem(
        at=("餐饮店", "单位食堂", "农贸市场", "住宿场所", "商场", "九小"),
        descriptions=("后厨墙角发现鼠粪和鼠咬痕迹", "储藏间发现蟑螂和蟑迹", "室内有蝇，未采取灭蝇措施"),
        fixes=("已请专业消杀公司灭鼠灭蟑，封堵孔洞，复查未见鼠迹。",),
    ),
    "防鼠防蝇设施缺失或不合格（挡鼠板、防鼠网、纱门纱窗、孔洞未封堵、排风扇无网）": Problem(
        at=("餐饮店", "单位食堂", "农贸市场", "商场", "九小"),
        descriptions=(
            "排风扇未加装防蝇网",
            "门口未设挡鼠板，纱门纱窗破损",
            ("餐饮店后厨未安装挡鼠板，下水口无防鼠网", ("餐饮店", "九小")),
        ),
        fixes=("已加装挡鼠板和防鼠网，经检查符合要求。",),
    ),
    "毒饵站缺失、被遮挡或投药不规范、无警示标识": Problem(
        at=("老旧小区", "城中村", "背街小巷", "农贸市场", "公园"),
        descriptions=(
            "毒饵站被杂物遮挡，无警示标识",
            "毒饵站内无药或投药不规范",
            ("小区毒饵站缺失，墙角发现鼠迹", ("老旧小区",)),
        ),
        fixes=("已补设毒饵站并规范投药，张贴警示标识。",),
        on_street=True,
    ),
    "直接入口食品“三防”（防尘、防蝇、防鼠）设施不到位": Problem(
        at=("农贸市场", "餐饮店", "商场", "九小"),
        descriptions=("熟食摊位未设防蝇防尘设施", "直接入口食品敞开售卖，无防尘罩"),
        fixes=("已配齐防蝇防尘设施，熟食加罩销售。",),
    ),
    "证照不全、未亮证经营、无卫生许可证营业": Problem(
        at=("四小", "九小", "住宿场所", "餐饮店", "农贸市场"),
        descriptions=(
            "经营场所未悬挂营业执照和卫生许可证",
            ("理发店未亮证经营，卫生许可证过期", ("四小", "九小")),
        ),
        fixes=("已督促办理许可证并亮证经营。",),
    ),
    "从业人员无有效健康合格证明、未穿戴工作衣帽口罩": Problem(
        at=("餐饮店", "单位食堂", "四小", "九小", "住宿场所", "农贸市场"),
        descriptions=("从业人员无有效健康证明", "操作人员未穿戴工作衣帽和口罩"),
        fixes=("从业人员已补办健康证明，统一穿戴工作衣帽。",),
    ),
    "划行归市不规范、违规活禽交易/宰杀": Problem(
        at=("农贸市场",),
        descriptions=("市场内划行归市不规范，蔬菜摊与水产摊混杂", "市场内违规宰杀活禽"),
        fixes=("已重新划分经营区域，取缔活禽宰杀。",),
    ),
    "公示缺失（卫生制度、功能分区图、健康教育栏、农残检测、禁烟标识）": Problem(
        at=("农贸市场",),
        descriptions=("市场未公示卫生管理制度和功能分区图", "农残检测结果未按日公示"),
        fixes=("已制作公示栏，按日公示农残检测结果。",),
    ),
    "室内吸烟、禁烟标识缺失、烟头多、烟草广告": Problem(
        at=("农贸市场", "车站", "机关", "商场", "住宿场所", "医疗机构"),
        descriptions=(
            "室内禁烟标识缺失，地面烟头较多",
            ("市场内未张贴禁烟标识，有人室内吸烟", ("农贸市场",)),
        ),
        fixes=("已张贴禁烟标识，安排专人劝阻吸烟。",),
    ),
    "健康教育宣传栏缺失或未更新、创卫宣传氛围不足": Problem(
        at=("农贸市场", "老旧小区", "车站", "机关", "学校", "医疗机构", "公园"),
        descriptions=("健康教育宣传栏内容未更新", "未设置创卫公益宣传，宣传氛围不足"),
        fixes=("已更新宣传栏内容，增设创卫公益广告。",),
    ),
    "违规饲养、放养家禽家畜": Problem(
        at=("城中村", "老旧小区"),
        descriptions=("居民在房前屋后散养家禽", "违规饲养家禽，粪便污染环境"),
        fixes=("已劝导居民圈养家禽并清理粪便。",),
    ),
    "建筑工地未规范围挡、扬尘、建筑/生活垃圾堆积或乱倒": Problem(
        at=("建筑工地",),
        descriptions=("工地围挡破损，渣土未覆盖有扬尘", "工地出入口车辆未冲洗，带泥上路"),
        fixes=("已修复围挡、覆盖渣土，出入口设冲洗设施。",),
    ),
    "户外广告、招牌设置不规范": Problem(
        at=("主次干道", "背街小巷", "车站", "商场"),
        descriptions=("沿街门头招牌破损、设置不规范", "户外广告牌褪色破损，存在安全隐患"),
        fixes=("已拆除破损招牌，按规范重新设置。",),
        on_street=True,
    ),
    "公厕脏乱、有臭味、设施缺损、旱厕、未免费开放、杂物堆放": Problem(
        at=("公共厕所", "农贸市场"),
        descriptions=(
            "公厕有异味，洗手池水龙头损坏",
            "公厕保洁不到位，地面有积水、异味大。",
            ("公厕未免费开放，门口堆放杂物", ("公共厕所",)),
        ),
        fixes=("已加强保洁频次，维修洗手池，公厕恢复免费开放。",),
    ),
    "河道水面漂浮物、岸坡垃圾、污水直排、下水道堵塞": Problem(
        at=("河道", "背街小巷", "农贸市场"),
        descriptions=(
            ("河道水面有漂浮垃圾，岸坡有生活垃圾", ("河道",)),
            ("发现污水直排河道", ("河道",)),
            ("下水道堵塞，污水外溢", ("背街小巷", "农贸市场")),
        ),
        fixes=("已打捞漂浮物、封堵排污口，疏通下水道。",),
    ),
    "绿化带内垃圾、绿地损毁或被占用停车": Problem(
        at=("主次干道", "公园", "老旧小区"),
        descriptions=(
            "绿化带内有垃圾，部分绿地被占用停车",
            "道路两侧绿化带内积存生活垃圾。",
            "绿地内枯枝落叶堆积未清。",
        ),
        fixes=("已清理绿化带垃圾，补植绿地，设置隔离桩。",),
        on_street=True,
    ),
    "医疗机构预检分诊无人值守、医疗废物处置不规范": Problem(
        at=("医疗机构",),
        descriptions=("预检分诊台无人值守", "医疗废物暂存点未上锁、标识不全"),
        fixes=("已安排专人值守预检分诊台，医疗废物暂存点已上锁并规范标识。",),
    ),
    "物品、食品添加剂存放不规范": Problem(
        at=("单位食堂", "餐饮店"),
        descriptions=("食品添加剂未专柜存放", "库房食品离地离墙不足，与杂物混放"),
        fixes=("已设食品添加剂专柜，库房物品离地离墙存放。",),
    ),
}
