"""The awards service's rules, in plain functions and types: no SQL, no HTTP, no I/O.

    statuses    the status sets, as the migrations' CHECK constraints hold them
    lifecycle   the life of a nomination: which action moves it from what to what,
                the quota places it takes and gives back, votes, awards
    nominating  what a new nomination is checked against before it is written
    granting    what a decision may grant
    campaigns   a campaign's dates and its categories' quotas
    access      who may act on, or see, which nomination or award

A refusal is raised as a `shared.errors` error; the skeleton turns it into a
problem document (see docs/architecture.md).
"""
