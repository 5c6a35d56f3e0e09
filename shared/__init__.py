"""Common code of the thidua services: settings, database, messaging, auth, web."""
