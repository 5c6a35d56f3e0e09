"""Awards: the nominations a decision granted. `award_id` is the granted nomination's id."""
