"""The shop: customers, carts, promo codes, pricing, allocation, checkout, and the order record
that checkout creates. May import `inventory` and `core`."""
