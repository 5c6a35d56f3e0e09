-- A nomination the committee returns to its unit to be completed: `returned`.
-- It stays live (the nominee's one nomination in the category: it comes back
-- resubmitted, it is not replaced), so the live index counts it; it holds no
-- place in the quota, so `held` is untouched.
ALTER TABLE nominations DROP CONSTRAINT nominations_status_check;
ALTER TABLE nominations ADD CONSTRAINT nominations_status_check
    CHECK (status IN ('submitted', 'returned', 'approved', 'rejected', 'withdrawn', 'granted', 'revoked'));

DROP INDEX nominations_live;
CREATE UNIQUE INDEX nominations_live ON nominations (category_id, nominee_id)
    WHERE status IN ('submitted', 'returned', 'approved', 'granted');
