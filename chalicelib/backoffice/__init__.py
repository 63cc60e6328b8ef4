"""The back office: daily sales reports, reorder suggestions, CSV import/export, API keys. May
import every other capability and `core`."""
