"""The depot keeper's scanning page (/scan): camera and typed codes, an offline outbox, a service worker."""
