"""The verification table fed by the awards' events (called by consumes.py, in the consumer's transaction).

Versions as everywhere (the envelope's version is the nomination's, so a grant is older than its
revocation): a grant stands only when newer than what the row holds; a grant older than a revocation
already applied fills in the names the revocation did not carry, and leaves the award revoked.
"""

from __future__ import annotations

import asyncpg

from shared import events, verification
from shared.text import nfc


def _code(value: str) -> str | None:
    """The event's code if it is one (an older producer sent none)."""
    return value if value and verification.CANONICAL.fullmatch(value) else None


async def apply_grant(conn: asyncpg.Connection, d: events.AwardGranted, version: int) -> bool:
    changed = await conn.fetchval(
        """INSERT INTO verifications (award_id, version, status, code, kind, name, unit_name, campaign_name, year,
                                      category_name, form, decision_number, decision_date)
           VALUES ($1, $2, 'standing', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (award_id) DO UPDATE
               SET status = CASE WHEN verifications.version < EXCLUDED.version THEN 'standing'
                                 ELSE verifications.status END,
                   version = GREATEST(verifications.version, EXCLUDED.version),
                   code = COALESCE(EXCLUDED.code, verifications.code),
                   kind = EXCLUDED.kind, name = EXCLUDED.name, unit_name = EXCLUDED.unit_name,
                   campaign_name = EXCLUDED.campaign_name, year = EXCLUDED.year,
                   category_name = EXCLUDED.category_name, form = EXCLUDED.form,
                   decision_number = EXCLUDED.decision_number, decision_date = EXCLUDED.decision_date,
                   updated_at = now()
               WHERE verifications.version < EXCLUDED.version OR verifications.name IS NULL
           RETURNING true""",
        d.award_id,
        version,
        _code(d.verification_code),
        d.kind,
        nfc(d.name),
        nfc(d.unit_name),
        nfc(d.campaign_name),
        d.year,
        nfc(d.category_name),
        nfc(d.form),
        nfc(d.decision_number),
        d.decision_date,
    )
    return bool(changed)


async def apply_revoke(conn: asyncpg.Connection, d: events.AwardRevoked, version: int) -> bool:
    changed = await conn.fetchval(
        """INSERT INTO verifications (award_id, version, status, code, revoked_at)
           VALUES ($1, $2, 'revoked', $3, $4)
           ON CONFLICT (award_id) DO UPDATE
               SET version = EXCLUDED.version, status = 'revoked', revoked_at = EXCLUDED.revoked_at,
                   code = COALESCE(verifications.code, EXCLUDED.code), updated_at = now()
               WHERE verifications.version < EXCLUDED.version
           RETURNING true""",
        d.award_id,
        version,
        _code(d.verification_code),
        d.revoked_at,
    )
    return bool(changed)
