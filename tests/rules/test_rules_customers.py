"""One customer per organisation: one organisation's records in several trackers, matched, counted once."""

from __future__ import annotations

from rules.config import CustomersConfig, ScoringConfig
from rules.customers import Identities, normalised_name
from rules.engine import RulesEngine
from sync.model import Customer
from tests.rules.builders import NOW, issue, ticket

ZENDESK_ACME = Customer("z:500", "z", "Acme, Inc.", "Enterprise", 120_000.0)
LINEAR_ACME = Customer("l:c1", "l", "ACME", "growth", 100_000.0, domains=("acme.example",))
CRM_GLOBEX = Customer("z:501", "z", "Globex Corporation", "growth", 30_000.0, external_ids=("sf-9",))
LINEAR_GLOBEX = Customer("l:c2", "l", "Globex (EU)", None, 40_000.0, external_ids=("sf-9",))
INITECH = Customer("z:502", "z", "Initech", "starter", 5_000.0, domains=("initech.example",))
CUSTOMERS = [ZENDESK_ACME, LINEAR_ACME, CRM_GLOBEX, LINEAR_GLOBEX, INITECH]


def test_records_match_by_external_id_domain_and_normalised_name() -> None:
    identities = Identities(CUSTOMERS)
    assert normalised_name("Acme, Inc.") == normalised_name("ACME") == "acme"
    acme = identities.by_record["z:500"]
    assert acme is identities.by_record["l:c1"]  # the same name, case and suffix aside
    assert (acme.tier, acme.arr, acme.sources) == ("enterprise", 120_000.0, ["l:c1", "z:500"])
    assert identities.by_record["z:501"] is identities.by_record["l:c2"]  # one CRM id, two names
    assert [i.name for i in identities.all] == ["Acme, Inc.", "Globex (EU)", "Initech"]


def test_a_person_merges_and_separates_by_hand() -> None:
    config = CustomersConfig(merge=[["z:502", "l:c2"]], separate=["l:c1"])
    identities = Identities(CUSTOMERS, config)
    assert identities.by_record["l:c1"] is not identities.by_record["z:500"]
    assert identities.by_record["z:502"] is identities.by_record["l:c2"] is identities.by_record["z:501"]


def test_an_organisation_in_two_trackers_counts_once_in_every_evidence_name() -> None:
    t1, l1 = ticket(1, "z:500", "j:1")  # Zendesk's Acme
    t2, l2 = ticket(2, "l:c1", "j:1")  # Linear's ACME (a customer need, say)
    t3, l3 = ticket(3, "", "j:1", requester_domain="initech.example")  # no organisation: by email domain
    t4, l4 = ticket(4, "", "j:1", requester_domain="gmail.com")  # nobody's domain: no customer
    engine = RulesEngine(ScoringConfig())
    (score,) = engine.rank([issue(1), t1, t2, t3, t4], [*l1, *l2, *l3, *l4], CUSTOMERS, now=NOW).scores
    evidence = score.evidence
    # Acme once (ARR 120k, the larger of its two records) and Initech (5k): 2 organisations, 1 enterprise
    assert (evidence["feedback_count"], evidence["feedback_orgs"], evidence["feedback_arr"]) == (
        4,
        2,
        125_000,
    )
    assert evidence["enterprise_orgs"] == 1 and evidence["requests_by_tier"] == {
        "enterprise": 2,
        "starter": 1,
    }
    counted = {r["request"]: r["customer"] for r in score.requests()}
    assert counted == {"z:1": "Acme, Inc.", "z:2": "Acme, Inc.", "z:3": "Initech", "z:4": None}
