"""Reads that aggregate: one query per panel over indexed columns, never a loop of queries."""

from .board import Board, board_for_district
from .checklist import checklist_area_scores, checklist_items
from .city import DistrictRow, city_overview
from .common import closure_rate, ticket_figures_q, week_start
from .tasks import TaskList, my_tasks

__all__ = [
    "DistrictRow",
    "city_overview",
    "Board",
    "TaskList",
    "board_for_district",
    "checklist_area_scores",
    "checklist_items",
    "closure_rate",
    "my_tasks",
    "ticket_figures_q",
    "week_start",
]
