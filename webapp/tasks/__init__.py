"""Job-queue tasks (huey): email, data arriving by itself, packs. The worker imports them all."""
