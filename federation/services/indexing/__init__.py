"""What is derived from stored versions inside the transaction that stores them:
the incident index that REST lists and filters read."""
