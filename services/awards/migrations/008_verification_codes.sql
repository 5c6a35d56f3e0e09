-- Every award's verification code (shared/verification.py): 12 symbols of
-- Crockford's base32, 60 random bits, printed on the certificate with a QR
-- code of the events service's /verify/{code}. Set by the decision that
-- grants the nomination (decisions/repository.py `grant`, from `secrets`);
-- the awards granted before this migration get one here.
ALTER TABLE nominations ADD COLUMN verification_code text
    CHECK (verification_code ~ '^[0-9A-HJKMNP-TV-Z]{12}$');

-- Random symbols from gen_random_uuid(), which PostgreSQL draws from its
-- strong random source: the low 5 bits of twelve bytes of a version 4 UUID
-- that carry no version or variant bits (bytes 6 and 8 do), so 60 random bits.
CREATE FUNCTION pg_temp.new_verification_code() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (get_byte(b, i) & 31) + 1, 1), '' ORDER BY i)
    FROM (SELECT uuid_send(gen_random_uuid()) AS b) AS drawn, unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13]) AS i
$$;

-- Draw again for any code drawn twice (1 chance in about 10^6 at a million awards), until all differ.
DO $$
BEGIN
    LOOP
        UPDATE nominations SET verification_code = pg_temp.new_verification_code()
        WHERE decision_id IS NOT NULL
          AND (verification_code IS NULL
               OR verification_code IN (SELECT verification_code FROM nominations
                                        WHERE verification_code IS NOT NULL
                                        GROUP BY verification_code HAVING count(*) > 1));
        EXIT WHEN NOT FOUND;
    END LOOP;
END $$;

CREATE UNIQUE INDEX nominations_verification_code ON nominations (verification_code)
    WHERE verification_code IS NOT NULL;
-- An award (granted or revoked: a decision named it) always has its code.
ALTER TABLE nominations ADD CONSTRAINT nominations_award_has_code
    CHECK (decision_id IS NULL OR verification_code IS NOT NULL);
