"""`nit monitor`: index registered images, scan places for re-uses, watch them."""
