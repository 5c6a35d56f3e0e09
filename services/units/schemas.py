"""What several features of the units service take over HTTP: the name of a unit or a person."""

from __future__ import annotations

from typing import Annotated

import msgspec

# Length and type only: what is left after normalisation is checked by shared.text.line.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
