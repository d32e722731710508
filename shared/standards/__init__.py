"""National standards the platform encodes once, for every service that needs them."""
