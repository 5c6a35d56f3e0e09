"""The awards service: campaigns, nominations, the committee's review, decisions and awards."""
