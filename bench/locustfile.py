"""Members and client users mixed, through HAProxy in front of the web nodes.

Started by bench/webnodes.py (``.venv/bin/locust`` in a subprocess: locust patches gevent on
import, so nothing else imports this file). RX_BENCH_USERS_FILE names the JSON of bench users
that bench/webnodes.py created: each locust user takes the next one, presents its remembered
device cookie, signs in through every step (username, SiteKey and password, authenticator code
for members), then browses with a person's pauses between pages.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webnodes import BENCH_PASSWORD, HarnessError, sign_in

USERS = json.loads(Path(os.environ["RX_BENCH_USERS_FILE"]).read_text(encoding="utf-8"))
_next_member = itertools.count()
_next_client = itertools.count()

DRUG_SEARCHES = ["atorvastatin", "metformin", "lisinopril", "amlodipine", "omeprazole", "insulin"]
DRUG_TYPED = ["atorv", "metfo", "lisin", "amlod", "omepr", "insul"]
ZIP_CODES = ["10001", "60601", "94103", "30301", "73301", "98101", "02108", "33101"]


class PortalUser(HttpUser):
    abstract = True
    # A person reads a page before the next one.
    wait_time = between(5, 15)
    account: dict[str, Any]

    def sign_in_as(self, account: dict[str, Any]) -> None:
        self.account = account
        self.client.cookies.set(USERS["device_cookie"], account["device"])
        try:
            sign_in(self.client, username=account["username"], password=BENCH_PASSWORD)
        except HarnessError as exc:
            self.environment.events.request.fire(
                request_type="SIGN-IN",
                name="sign-in: completed",
                response_time=0,
                response_length=0,
                exception=exc,
                context={},
            )
            raise StopUser from exc


class Member(PortalUser):
    weight = 3

    def on_start(self) -> None:
        self.sign_in_as(USERS["members"][next(_next_member) % len(USERS["members"])])

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="member: dashboard")

    @task(3)
    def claims(self) -> None:
        self.client.get("/claims/", name="member: claims")

    @task(2)
    def drug_search(self) -> None:
        self.client.get(f"/drugs/?q={random.choice(DRUG_SEARCHES)}", name="member: drug search")

    @task(2)
    def drug_suggest(self) -> None:
        typed = random.choice(DRUG_TYPED)
        self.client.get(f"/drugs/suggest/?q={typed}", name="member: drug suggestions")

    @task(2)
    def pharmacy_finder(self) -> None:
        zip_code = random.choice(ZIP_CODES)
        self.client.get(f"/pharmacies/?location={zip_code}", name="member: pharmacy finder")


class ClientUser(PortalUser):
    weight = 1

    def on_start(self) -> None:
        self.sign_in_as(USERS["clients"][next(_next_client) % len(USERS["clients"])])

    @task(3)
    def client_home(self) -> None:
        self.client.get("/clients/", name="client: tools (home)")

    @task(3)
    def hub(self) -> None:
        self.client.get("/hub/", name="client: content hub")

    @task(1)
    def drug_trend(self) -> None:
        self.client.get(
            f"/clients/{self.account['client']}/tools/drug-trend/", name="client: drug trend"
        )
