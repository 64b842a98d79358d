"""What identity's public services hand other modules: frozen views, never its rows."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.models import User
from smartcity.modules.identity.values import (
    BindingKind,
    BindingView,
    OrganisationKind,
    OrganisationView,
    UserView,
    VerificationLevel,
)
from tests.conftest import Actors


def test_people_organisations_and_bindings_come_as_frozen_views(
    platform: Platform, actors: Actors
) -> None:
    user_id, _token = actors.citizen(name="林小明", national_id="A123456789")
    with platform.unit_of_work(system_actor("test")) as uow:
        bank = service.ensure_organisation(uow, "BANK9", OrganisationKind.PROVIDER, "示範銀行")
        service.add_binding(
            uow,
            service.get_user(uow.session, user_id),
            kind=BindingKind.PAYMENT_METHOD,
            value="TOKEN-0000-1234",
            provider_code="BANK9",
        )
    with platform.db.read_session() as session:
        person = service.get_user(session, user_id)
        found = service.find_citizen(session, platform.keys, "A123456789")
        organisation = service.get_organisation(session, "bank9")
        [binding] = service.bindings_of(session, uuid.UUID(user_id))

    assert isinstance(person, UserView) and found == person
    assert isinstance(organisation, OrganisationView) and organisation == bank
    assert isinstance(binding, BindingView) and binding.provider_id == bank.id
    assert person.name == "林小明" and person.national_id_masked == "A123****89"
    assert binding.shown_value != binding.value  # payment tokens are shown masked
    for view in (person, organisation, binding):
        assert not isinstance(view, User)
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.name = "changed"  # type: ignore[misc]


def test_a_view_passed_back_to_identity_changes_the_stored_row(
    platform: Platform, actors: Actors
) -> None:
    user_id, _token = actors.citizen()
    with platform.unit_of_work(system_actor("test")) as uow:
        person = service.get_user(uow.session, user_id)
        service.set_verification_level(uow, person, VerificationLevel.VERIFIED)
    with platform.db.read_session() as session:
        assert service.get_user(session, user_id).verification_level == "verified"
