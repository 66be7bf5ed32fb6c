"""`python -m services.partner_adapter --partner politie`: run the reference adapter until SIGTERM."""

from services.partner_adapter.adapter import main

if __name__ == "__main__":
    main()
