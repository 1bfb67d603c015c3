"""The needs-to-roles bridge on hand-made vectors: which services a query calls for."""

import numpy as np

from semnetz.index.services import ServiceBridge


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


SERVICES = [
    {"service": "Kinderpsychotherapie", "roles": ["Psychotherapeutin"], "needs": ["Kind will nicht in die Schule"]},
    {"service": "Babysitter", "roles": ["Babysitter"], "needs": ["wer passt abends auf"]},
    {"service": "Kita", "roles": ["Erzieherin"], "needs": ["Kita-Platz gesucht"]},
]
CATEGORIES = [{"category": "Kinderbetreuung", "names": ["Kinderbetreuung"], "services": ["Babysitter", "Kita"]}]


def bridge():
    needs = np.stack([unit(1, 0, 0, 0, 0), unit(0, 1, 0, 0, 0), unit(0, 0, 1, 0, 0)])
    roles = np.stack([unit(1, 0, 0, 1, 0), unit(0, 1, 0, 1, 0), unit(0, 0, 1, 1, 0)])
    categories = np.stack([unit(0, 1, 1, 0, 0)])
    return ServiceBridge(SERVICES, needs, roles, CATEGORIES, categories)


def names(hits):
    return [SERVICES[h.service]["service"] for h in hits]


def test_a_clause_that_says_the_need_calls_for_its_service():
    query = unit(0.3, 0, 0, 0, 1)[None, :]  # a long message: mostly about something else
    assert names(bridge().services_for(query)[0]) == []
    clause = unit(1, 0, 0, 0, 0.1)[None, :]  # "…, will nicht mehr in die Schule"
    assert names(bridge().services_for(query, [clause])[0]) == ["Kinderpsychotherapie"]


def test_a_category_stands_for_its_services_only_when_no_service_is_closer():
    hypernym = unit(0, 1, 1, 0, 0)[None, :]  # "Kinderbetreuung": as close to the category as to any service
    assert sorted(names(bridge().services_for(hypernym)[0])) == ["Babysitter", "Kita"]
    specific = unit(0, 1, 0.1, 0, 0)[None, :]  # "Babysitter": far closer to that service than to the category
    assert names(bridge().services_for(specific)[0]) == ["Babysitter"]
