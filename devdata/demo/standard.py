"""The demo's standard: both campaigns scored on the national standard, 四平市 in the 50–200
万 band (its urban population), every task linked to its 项.

The demo's history files each problem under a random task of its area, which would put gates
no street patrol can threaten (近3年未发生重大食品安全事故 …) at risk. Here the open problems
on gate tasks outside 病媒生物预防控制 move to a sibling task of the same area, so the boards
tell one believable story: the 鼠迹 and 防鼠设施 problems still open put the vector-density
gates at risk (一票否决风险)."""

from campaigns.models import OPEN_STATES, Campaign, ChecklistItem, PopulationBand, Ticket
from campaigns.services.standard import campaign_apply_standard, campaign_link_tasks

VECTOR_AREA = "8"


def build_demo_standard(campaigns):
    for campaign in campaigns:
        campaign_apply_standard(campaign)  # idempotent: gives it the standard if it has none
        if not campaign.population_band:
            Campaign.objects.filter(pk=campaign.pk).update(population_band=PopulationBand.MEDIUM)
        campaign_link_tasks(campaign)
        tasks = list(ChecklistItem.objects.filter(campaign=campaign).select_related("area", "standard_item"))
        plain = {}
        for task in tasks:
            if task.standard_item is None or not task.standard_item.is_gate:
                plain.setdefault(task.area_id, task)
        for task in tasks:
            if task.standard_item and task.standard_item.is_gate and task.area.code != VECTOR_AREA:
                Ticket.objects.filter(checklist_item=task, state__in=OPEN_STATES).update(
                    checklist_item=plain.get(task.area_id)
                )
