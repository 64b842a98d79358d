"""The demo city: every enabled module seeds its part, in dependency order, once."""

from __future__ import annotations

from smartcity.core.auth import system_actor
from smartcity.core.meta import get_meta, set_meta
from smartcity.core.platform import Platform
from smartcity.core.time import isoformat_z, utcnow

DEMO_FLAG = "demo_loaded_at"


def load_demo(platform: Platform) -> bool:
    """Seed each module in its own transaction; False if the demo was loaded before."""
    session = platform.db.read_session()
    try:
        if get_meta(session, DEMO_FLAG):
            return False
    finally:
        session.close()
    for module in platform.modules:
        if module.seed is None:
            continue
        with platform.unit_of_work(system_actor("demo")) as uow:
            if get_meta(uow.session, f"demo_seeded:{module.name}"):
                continue
            module.seed(uow, platform)
            set_meta(uow.session, f"demo_seeded:{module.name}", isoformat_z(utcnow()))
            uow.audit("core.demo.seeded", "module", module.name, {})
    with platform.unit_of_work(system_actor("demo")) as uow:
        set_meta(uow.session, DEMO_FLAG, isoformat_z(utcnow()))
        uow.audit("core.demo.loaded", "platform", "demo", {})
    return True
