"""Reports over the index, one module each: revenue by month, products, ABC/Pareto, RFM, lifecycle, churn, receivables.

Every function here is pure with respect to output: it reads the store's index and returns
dataclasses (``as_json`` turns them into plain JSON values). Nothing prints, so the CLI
(``kehu report``) and the TUI dashboard show the very same figures.

Dates: a report runs "as of" a day (``today``), which is included. Periods are half-open
``[start, end)`` internally; :class:`Period` shows them with an inclusive last day.
Tier maths (pyramid, ABC, RFM) comes from :mod:`kehu_core.services.scoring`, shared
with the tiering plugin, so the same customer can never be "A" in one place and "B" in another.
"""

from __future__ import annotations

from .abc import (
    AbcCustomer,
    AbcReport,
    ParetoSnapshot,
    abc_report,
)
from .churn import (
    ChurnedCustomer,
    ChurnReport,
    churn_report,
    revenue_between,
)
from .common import (
    ACTIVE,
    BUCKET_LABELS,
    CENT,
    CHURNED,
    DORMANT,
    NEW,
    NO_ITEMS,
    NOT_YET,
    PROSPECT,
    RECEIVABLE_BUCKETS,
    STAGES,
    ZERO,
    CustomerInfo,
    Period,
    Settings,
    as_json,
    customers,
    dumps,
    first_purchases,
    parse_span,
    percent,
    percent_change,
    to_money,
)
from .lifecycle import (
    LifecycleReport,
    RfmCustomer,
    RfmReport,
    clv_estimate,
    lifecycle_report,
    rfm_report,
    stages,
)
from .products import (
    ProductRow,
    ProductsReport,
    line_revenue,
    products_report,
)
from .receivables import (
    Receivable,
    ReceivablesReport,
    age_bucket,
    receivables_report,
)
from .revenue import (
    MonthRevenue,
    RevenueReport,
    revenue_by_month,
)

__all__ = [
    "ACTIVE",
    "AbcCustomer",
    "AbcReport",
    "CENT",
    "CHURNED",
    "ChurnReport",
    "ChurnedCustomer",
    "CustomerInfo",
    "DORMANT",
    "LifecycleReport",
    "MonthRevenue",
    "NEW",
    "NOT_YET",
    "NO_ITEMS",
    "PROSPECT",
    "ParetoSnapshot",
    "Period",
    "ProductRow",
    "ProductsReport",
    "BUCKET_LABELS",
    "RECEIVABLE_BUCKETS",
    "Receivable",
    "ReceivablesReport",
    "RevenueReport",
    "RfmCustomer",
    "RfmReport",
    "STAGES",
    "Settings",
    "ZERO",
    "abc_report",
    "age_bucket",
    "as_json",
    "churn_report",
    "clv_estimate",
    "customers",
    "dumps",
    "first_purchases",
    "lifecycle_report",
    "line_revenue",
    "parse_span",
    "percent",
    "percent_change",
    "products_report",
    "receivables_report",
    "revenue_between",
    "revenue_by_month",
    "rfm_report",
    "stages",
    "to_money",
]
