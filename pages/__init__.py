"""Dash pages: each module registers one page and holds only its layout (behaviour is in callbacks/)."""
