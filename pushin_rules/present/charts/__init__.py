"""Charts, one file per thing drawn: the progress graph of a goal, provider load against
capacity, the trainer's decision map, LRE categories before and after. Each returns an Altair
chart over already-aggregated data (no chart ships a district's raw rows to the browser)."""

from pushin_rules.present.charts.decision_map import decision_map_chart
from pushin_rules.present.charts.lre_change import lre_change_chart
from pushin_rules.present.charts.progress_graph import SETTING_STYLE, chart_png, progress_chart
from pushin_rules.present.charts.provider_load import provider_load_chart
from pushin_rules.present.charts.style import MAX_PROVIDERS, MODEL_COLORS, column_spec, fit_width

__all__ = [
    "MAX_PROVIDERS",
    "MODEL_COLORS",
    "SETTING_STYLE",
    "chart_png",
    "column_spec",
    "decision_map_chart",
    "fit_width",
    "lre_change_chart",
    "progress_chart",
    "provider_load_chart",
]
