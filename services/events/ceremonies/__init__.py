"""Recognition ceremonies: planned by the committee, held at a venue, announced."""
