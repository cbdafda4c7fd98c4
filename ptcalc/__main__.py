from .cli import main

if __name__ == "__main__":  # a --jobs worker started by spawn (Windows) imports this module as __mp_main__
    main()
