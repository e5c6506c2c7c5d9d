"""B and E APIs: envelopes, paging, auth, faults, window rule, simulated clock."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from simulator import serve


@pytest.fixture()
def api(realistic):
    # faults on (rate limit active) but random faults off, so each test scripts its own
    with serve(realistic.world, faults=True, slow_delay_s=0.3) as srv:
        srv.set_rates(api_429=0, api_502=0, api_503=0, api_slow=0, api_page_overlap=0)
        srv.rate_limit_rps = None
        yield srv


def _b(srv):
    return httpx.Client(
        base_url=srv.base_url, headers={"Authorization": f"Bearer {srv.transport_token}"}, timeout=10
    )


def _e(srv):
    return httpx.Client(base_url=srv.base_url, headers={"X-Api-Key": srv.credit_api_key}, timeout=10)


def test_vehicles_envelope_and_paging(api, realistic):
    with _b(api) as c:
        r = c.get("/api/v2/vehicles")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        body = r.json()
        assert body["code"] == 0 and body["message"] == "success"
        data = body["data"]
        assert set(data) == {"total", "page", "size", "list"}
        assert data["page"] == 1 and data["size"] == 100 and len(data["list"]) == 100
        total = data["total"]
        seen = []
        page = 1
        while True:
            d = c.get("/api/v2/vehicles", params={"page": page, "size": 500}).json()["data"]
            seen.extend(d["list"])
            if page * 500 >= d["total"]:
                break
            page += 1
        assert len(seen) == total
        keys = {
            "clid",
            "cphm",
            "cpys",
            "hylb",
            "yhmc",
            "yhxydm",
            "dlyszh",
            "zws",
            "hdzzl",
            "clzt",
            "njyxq",
            "gxsj",
        }
        assert all(set(v) == keys for v in seen)
        order = [(str(v["gxsj"]), str(v["clid"])) for v in seen]
        assert order == sorted(order)
        # numbers sometimes arrive as strings
        assert any(isinstance(v["hdzzl"], str) for v in seen)
        # every served record is a truth row (record_key + gxsj)
        truth = realistic.rows[realistic.rows.dataset == "transport.vehicle"]
        tk = set(zip(truth.record_key, truth.gxsj, strict=True))
        assert all((v["clid"], v["gxsj"]) in tk for v in seen)
        assert c.get("/api/v2/vehicles", params={"size": 501}).status_code == 400


def test_incremental_pull_with_clock(api, realistic):
    start = dt.datetime(2026, 11, 23)
    with _b(api) as c:
        api.set_now(start + dt.timedelta(hours=12))
        first = c.get("/api/v2/vehicles", params={"size": 500}).json()["data"]["total"]
        since = "2026-11-23 12:00:00"
        # at noon nothing newer than noon is visible, except records whose gxsj is damaged into the future
        early = c.get("/api/v2/vehicles", params={"updatedSince": since}).json()["data"]
        truth = realistic.rows[realistic.rows.dataset == "transport.vehicle"]
        future = {
            (k, g)
            for k, g, q in zip(truth.record_key, truth.gxsj, truth.quirks, strict=True)
            if "date_in_future" in q
        }
        assert all((v["clid"], v["gxsj"]) in future for v in early["list"])
        api.advance_to(dt.date(2026, 11, 24))  # end of the window
        after = c.get("/api/v2/vehicles", params={"updatedSince": since, "size": 500}).json()["data"]
        assert after["total"] > 0
        assert all(v["gxsj"] >= since for v in after["list"])
        assert c.get("/api/v2/vehicles", params={"size": 500}).json()["data"]["total"] >= first
        bad = c.get("/api/v2/vehicles", params={"updatedSince": "2026/11/23"})
        assert bad.status_code == 400 and bad.json()["code"] != 0


def test_alarms_window_rule(api):
    with _b(api) as c:
        ok = c.get(
            "/api/v2/alarms",
            params={"startTime": "2026-11-23 00:00:00", "endTime": "2026-11-24 00:00:00", "size": 500},
        )
        assert ok.status_code == 200
        data = ok.json()["data"]
        assert data["total"] > 1000
        assert all("2026-11-23 00:00:00" <= a["gxsj"] < "2026-11-24 00:00:00" for a in data["list"])
        assert set(data["list"][0]) == {
            "bjid",
            "cphm",
            "cpys",
            "bjlx",
            "bjmc",
            "kssj",
            "jssj",
            "zgsd",
            "xs",
            "jd",
            "wd",
            "clzt",
            "gxsj",
        }
        assert {type(a["bjlx"]) for a in data["list"]} == {int, str}
        for params in (
            {"startTime": "2026-10-01 00:00:00", "endTime": "2026-11-24 00:00:00"},  # > 31 days
            {"startTime": "2026-11-24 00:00:00", "endTime": "2026-11-23 00:00:00"},  # inverted
            {"startTime": "2026-11-23 00:00:00"},  # missing end
        ):
            r = c.get("/api/v2/alarms", params=params)
            assert r.status_code == 400
            assert r.json()["code"] != 0


def test_auth(api):
    r = httpx.get(api.base_url + "/api/v2/vehicles", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["code"] == 40101 and r.json()["message"] == "token invalid"
    assert httpx.get(api.base_url + "/api/v2/vehicles").status_code == 401
    r = httpx.get(api.base_url + "/openapi/credit/dishonest", headers={"X-Api-Key": "nope"})
    assert r.status_code in (401, 403)
    assert r.json()["success"] is False and r.json()["errorMsg"]


def test_scripted_faults(api):
    with _b(api) as c:
        api.script("/api/v2/vehicles", "429", retry_after=1)
        r = c.get("/api/v2/vehicles")
        assert r.status_code == 429 and r.headers["Retry-After"] == "1" and r.json()["code"] != 0
        assert c.get("/api/v2/vehicles").status_code == 200
        api.script("/api/v2/alarms", "503", times=1)
        params = {"startTime": "2026-11-23 00:00:00", "endTime": "2026-11-24 00:00:00"}
        assert c.get("/api/v2/alarms", params=params).status_code == 503
        assert c.get("/api/v2/alarms", params=params).status_code == 200
        api.script("/api/v2/vehicles", "502")
        r = c.get("/api/v2/vehicles")
        assert r.status_code == 502 and "text/html" in r.headers["content-type"]
        api.script("/api/v2/vehicles", "slow", delay=0.4)
        t = time.perf_counter()
        assert c.get("/api/v2/vehicles").status_code == 200
        assert time.perf_counter() - t >= 0.35
        # page overlap: page 2 repeats the last record of page 1
        p1 = c.get("/api/v2/vehicles", params={"page": 1, "size": 50}).json()["data"]["list"]
        api.script("/api/v2/vehicles", "overlap")
        p2 = c.get("/api/v2/vehicles", params={"page": 2, "size": 50}).json()["data"]["list"]
        assert p2[0] == p1[-1]
    with _e(api) as c:
        api.script("/openapi/credit/", "503")
        r = c.get("/openapi/credit/dishonest")
        assert r.status_code == 503 and r.json()["success"] is False


def test_rate_limit(realistic):
    with serve(realistic.world, faults=True) as srv:
        srv.set_rates(api_429=0, api_502=0, api_503=0, api_slow=0, api_page_overlap=0)
        with _b(srv) as c:
            codes = [c.get("/api/v2/vehicles", params={"size": 1}).status_code for _ in range(15)]
        assert 429 in codes and codes[:10] == [200] * 10
        with _b(srv) as c:
            time.sleep(1.05)
            assert c.get("/api/v2/vehicles", params={"size": 1}).status_code == 200


def test_random_faults_follow_rates(realistic):
    with serve(realistic.world, faults=True) as srv:
        srv.rate_limit_rps = None
        srv.set_rates(api_429=0, api_502=0, api_503=0.3, api_slow=0, api_page_overlap=0)
        with _b(srv) as c:
            codes = [c.get("/api/v2/vehicles", params={"size": 1}).status_code for _ in range(200)]
        share = codes.count(503) / len(codes)
        assert 0.18 < share < 0.42
    with serve(realistic.world, faults=False) as srv, _b(srv) as c:
        assert all(c.get("/api/v2/vehicles", params={"size": 1}).status_code == 200 for _ in range(30))


def test_credit_list(api, realistic):
    with _e(api) as c:
        r = c.get("/openapi/credit/dishonest")
        body = r.json()
        assert body["success"] is True and set(body["result"]) == {"records", "totalCount"}
        assert len(body["result"]["records"]) == min(20, body["result"]["totalCount"])
        rec = body["result"]["records"][0]
        assert set(rec) == {
            "id",
            "ztmc",
            "ztlx",
            "tyshxydm",
            "lrqx",
            "lrsy",
            "rdbm",
            "lrrq",
            "yxqz",
            "zt",
            "ycrq",
            "gxsj",
        }
        allrecs = c.get("/openapi/credit/dishonest", params={"pageNo": 1, "pageSize": 100}).json()["result"]
        people = [x for x in allrecs["records"] if x["ztlx"] == "自然人"]
        assert people and all("********" in x["tyshxydm"] for x in people)
