"""Where each follow-up figure's data come from, and the rule behind it where there is one (docs/DOMAIN.md).

English source text (msgids), shown translated under each figure's definition on the figures page.
A figure without an entry here shows its definition alone.
"""

from __future__ import annotations

from console.domain.text import N_

SOURCES: dict[str, str] = {
    "people_served": N_("Scheduling's periods; before one is planned, referral's decision (biståndsbeslut)."),
    "people_new": N_("Scheduling's periods."),
    "home_before_liability": N_(
        "Referral: the hospital's ready notice and discharge, and when liability starts under the regional "
        "agreement; the law behind it: lagen (2017:612) om samverkan vid utskrivning från sluten hälso- och "
        "sjukvård."
    ),
    "days_ready_to_home": N_("Referral: the hospital's ready notice and discharge notice."),
    "liability_days": N_(
        "Referral's count under the region's agreement (without one, liability starts after 3 calendar days: "
        "lagen (2017:612))."
    ),
    "liability_cost": N_("Referral: the agreement's price per day (set yearly by Socialstyrelsen unless agreed)."),
    "service_share": N_(
        "Referral: discharges and decisions. Stockholm city measured about 11 per cent (docs/DOMAIN.md)."
    ),
    "distinct_staff": N_("Scheduling: completed visits and who made them."),
    "contact_person_share": N_("Scheduling: completed visits and the period's contact person."),
    "living_at_home": N_(
        "Scheduling's follow-up calls; referral's admission notices, deaths and discharge destinations."
    ),
    "readmitted_30d": N_("Referral: admission and discharge notices from the hospital."),
    "eq5d_vas_change": N_(
        "Self-ratings the team records at the first and the last visit: EQ-5D-5L with EQ VAS (EuroQol "
        "Research Foundation)."
    ),
    "eq5d_level_change": N_(
        "Self-ratings the team records at the first and the last visit: EQ-5D-5L (EuroQol Research Foundation)."
    ),
    "cost_per_period": N_(
        "Scheduling: completed visits; the cost per team hour is a setting (CONSOLE_COSTS__TEAM_HOUR_SEK)."
    ),
    "short_term_stay_cost": N_(
        "Scheduling's periods; the cost per day of short-term stay is a setting "
        "(CONSOLE_COSTS__SHORT_TERM_STAY_DAY_SEK)."
    ),
    "homecoming_checklist_complete": N_(
        "Scheduling: the homecoming checklist's ticks and the homecoming visit's actual start. Hofors' brochure "
        "promises that aids are in place before the person comes home (docs/DOMAIN.md)."
    ),
    "sip_home_at_discharge": N_(
        "Referral: the SIP invitations (the hospital's sip_kallelse or an officer's record) and the discharge; "
        "Huddinge's plan for Trygg hemgång counts 'SIP i hemmet vid utskrivning' per month (docs/DOMAIN.md)."
    ),
    "sip_within_3_days": N_(
        "Referral: the SIP deadline and invitations; the rule: lagen (2017:612) om samverkan vid utskrivning "
        "från sluten hälso- och sjukvård, 4 kap. (docs/DOMAIN.md)."
    ),
}
